// Issue 15, item 5: the upstream PostgreSQL restarts or goes away under a running `airlock serve`.
// A statement in flight ends with a SQLSTATE (not a hang); clients reconnect through the same
// Airlock once PostgreSQL is back (wire and MCP), without restarting Airlock; while it is down, new
// clients get a clear 08006 and nothing else; the wire pool does not lose slots to dead servers.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startOwnCluster, type OwnCluster } from '../helpers/own-cluster.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import {
  Cleanups,
  createAgent,
  direct,
  mcpClient,
  mcpQuery,
  orHang,
  outcomeOf,
  tempDir,
  until,
  wireClient,
  wireOnce,
  type Agent,
  type Outcome,
  type ToolAnswer,
} from './fault-env.js';

const cleanups = new Cleanups();
let cluster: OwnCluster;
let serve: ServeProcess;
let agent: Agent;
let mcp: Client;
const DB = 'postgres';

beforeAll(async () => {
  cluster = await startOwnCluster();
  cleanups.add(() => cluster.destroy());
  await direct(cluster.url(DB), 'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, $$a$$)');
  await direct(cluster.url(DB), 'CREATE DATABASE other');
  await direct(cluster.url(DB), 'CREATE DATABASE third'); // nothing connects to it before the upstream freezes
  const storeUrl = `sqlite:${join(tempDir(cleanups), 'store.sqlite')}`;
  agent = await createAgent(storeUrl);
  serve = await startServe({
    upstream: { url: cluster.url(DB), poolSize: 4 }, // 2 servers per agent: a slot lost to a dead server shows at once
    store: { url: storeUrl },
    // pg_sleep is held by default (a volatile function): here it is the long read that is in flight
    policy: { rules: [{ name: 'sleep-is-a-read', functions: ['pg_sleep'], kinds: ['read'], tier: 'auto', unsafe: true }] },
  });
  cleanups.add(() => serve.stop());
  mcp = await mcpClient(serve.httpPort, agent.token, cleanups);
}, 60_000);

afterAll(() => cleanups.run());

const liveWire = async (): Promise<pg.Client> => wireClient(serve.wirePort, agent, DB, cleanups);
const selectV = `SELECT v FROM t WHERE id = 1`;

describe('the upstream restarts under airlock serve', () => {
  it('a statement in flight gets a SQLSTATE, and new connections work again without restarting Airlock', async () => {
    const busy = await liveWire();
    const idle = await liveWire();
    expect((await outcomeOf(idle.query(selectV))).ok).toBe(true); // its server is now lent back while it is idle
    expect((await mcpQuery(mcp, selectV)).isError).toBe(false);
    const inFlight = outcomeOf(busy.query('SELECT pg_sleep(5)'));
    // the sleep is running upstream before the restart
    let settled: unknown;
    void inFlight.then((o) => (settled = o));
    await until(
      'pg_sleep running upstream',
      async () => {
        if (settled) throw new Error(`the sleep ended early: ${JSON.stringify(settled)}`);
        return (await direct(cluster.url(DB), "SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(5)'")).length > 0;
      },
      10_000,
      50,
    );
    const restartedAt = Date.now();
    cluster.restart();
    const r = await orHang(inFlight, 10_000);
    expect(r, 'the statement in flight is not left hanging').not.toBe('hang');
    expect(r).toMatchObject({ ok: false });
    const code = (r as { code: string }).code;
    expect(['57P01', '08006']).toContain(code);
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    // the idle connection (between transactions, no session state) lost nothing: it carries on
    const idleAfter = await until('the idle connection answers again', async () => {
      const o = await orHang(outcomeOf(idle.query(selectV)), 10_000);
      if (o === 'hang') throw new Error('the idle connection hangs');
      return o.ok ? o : null;
    });
    expect(idleAfter.rows).toEqual([{ v: 'a' }]);

    // a new connection through the same Airlock works: several, more than the agent's share of the pool
    const fresh = await until('a new wire connection answers', async () => {
      const o = await wireOnce(serve.wirePort, agent, DB, selectV);
      return o.ok ? o : null;
    });
    expect(fresh.rows).toEqual([{ v: 'a' }]);
    const clients = await Promise.all([liveWire(), liveWire(), liveWire()]);
    const answers = await Promise.all(clients.map((c) => orHang(outcomeOf(c.query(selectV)), 10_000)));
    expect(
      answers.every((a) => a !== 'hang' && a.ok),
      JSON.stringify(answers),
    ).toBe(true);
    // the MCP query tool (node-pg pools) works again too
    const m = await until('the MCP query tool answers', async () => {
      const a = await mcpQuery(mcp, selectV);
      return a.isError ? null : a;
    });
    expect(m.structured.rows).toEqual([{ v: 'a' }]);
    await Promise.all(clients.map((c) => c.end()));
  }, 60_000);

  it('restarted several times with sessions bound each time, the wire pool keeps all its slots', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await liveWire();
      const b = await liveWire();
      expect((await outcomeOf(a.query(selectV))).ok).toBe(true);
      expect((await outcomeOf(b.query('BEGIN; SELECT 1'))).ok).toBe(true); // holds its server inside a transaction
      cluster.restart();
      await until(`round ${round}: a new wire connection answers`, async () => {
        const o = await wireOnce(serve.wirePort, agent, DB, selectV);
        if (!o.ok) throw new Error(`${o.code}: ${o.message}`);
        return true;
      });
    }
    // two connections of the agent at once (its whole share) still get servers within the wait
    const both = await Promise.all([liveWire(), liveWire()]);
    const r = await Promise.all(both.map((c) => orHang(outcomeOf(c.query('BEGIN; SELECT 1')), 10_000)));
    expect(
      r.every((x) => x !== 'hang' && x.ok),
      JSON.stringify(r),
    ).toBe(true);
    await Promise.all(both.map((c) => c.end()));
  }, 60_000);

  it('the upstream down entirely: new clients get 08006 at once (wire and MCP), and both recover when it is back', async () => {
    const before = await liveWire();
    expect((await outcomeOf(before.query(selectV))).ok).toBe(true);
    cluster.stop();
    const startedAt = Date.now();
    const wire = await wireOnce(serve.wirePort, agent, DB, selectV);
    expect(wire).toMatchObject({ ok: false, code: '08006' });
    expect((wire as { message: string }).message).toMatch(/upstream database is unavailable/);
    expect((wire as { message: string }).message, 'no address in the answer').not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:\d{4,5}\b/);
    const viaMcp = await mcpQuery(mcp, selectV);
    expect(viaMcp.isError).toBe(true);
    expect(viaMcp.text).toMatch(/08006/);
    expect(viaMcp.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    expect(Date.now() - startedAt, 'refused fast, not after a timeout').toBeLessThan(8000);
    // the connection that was open (idle) is told so on its next statement, and stays open
    const old = await orHang(outcomeOf(before.query(selectV)), 10_000);
    expect(old).toMatchObject({ ok: false, code: '08006' });

    cluster.start();
    await until(
      'a new wire connection answers after the upstream is back',
      async () => (await wireOnce(serve.wirePort, agent, DB, selectV)).ok,
    );
    expect((await outcomeOf(before.query(selectV))).ok, 'the connection open during the outage works again').toBe(true);
    await until('the MCP query tool answers after the upstream is back', async () => !(await mcpQuery(mcp, selectV)).isError);
  }, 60_000);

  it('a frozen upstream (connections accepted, never answered): 08006 within the connect timeout, not a hang', async () => {
    // on `other`: x holds the one server it has inside a transaction, y is connected without a server
    const x = await wireClient(serve.wirePort, agent, 'other', cleanups);
    expect((await outcomeOf(x.query('BEGIN; SELECT 1'))).ok).toBe(true);
    const y = await wireClient(serve.wirePort, agent, 'other', cleanups);
    cluster.freeze();
    const startedAt = Date.now();
    let probes: (Outcome | 'hang' | ToolAnswer)[];
    try {
      probes = await Promise.all([
        // a session that needs a new server for its statement
        orHang(outcomeOf(y.query('SELECT 1')), 40_000),
        // a new client and an MCP call on a database nothing is connected to yet
        wireOnce(serve.wirePort, agent, 'third', 'SELECT 1', 40_000),
        mcpQuery(mcp, 'SELECT 1 AS one', 'third'),
      ]);
    } finally {
      cluster.thaw();
    }
    const took = Date.now() - startedAt;
    const [session, fresh, viaMcp] = probes as [Outcome | 'hang', Outcome, ToolAnswer];
    expect(session).toMatchObject({ ok: false, code: '08006' });
    expect(fresh).toMatchObject({ ok: false, code: '08006' });
    expect((fresh as { message: string }).message).toMatch(/upstream database is unavailable/);
    expect(viaMcp.isError).toBe(true);
    expect(viaMcp.text).toMatch(/08006/);
    expect(took).toBeLessThan(35_000);
    // thawed: everything answers again (y was not ended by the refusal)
    expect((await outcomeOf(y.query('SELECT 2 AS two'))).ok).toBe(true);
    expect((await outcomeOf(x.query('COMMIT'))).ok).toBe(true);
    await until('the thawed upstream answers', async () => (await wireOnce(serve.wirePort, agent, 'third', 'SELECT 1')).ok);
    await until('MCP on the thawed upstream', async () => !(await mcpQuery(mcp, 'SELECT 1 AS one', 'third')).isError);
    console.info(`[measure] frozen upstream: every door answered 08006 within ${took} ms`);
  }, 60_000);

  it('/readyz follows the upstream: 503 while it is down, 200 once it is back', async () => {
    const ready = () => fetch(`http://127.0.0.1:${serve.httpPort}/readyz`).then((r) => r.status);
    expect(await ready()).toBe(200);
    cluster.stop();
    await until('/readyz 503', async () => (await ready()) === 503, 10_000);
    cluster.start();
    await until('/readyz 200', async () => (await ready()) === 200, 20_000);
  }, 60_000);
});
