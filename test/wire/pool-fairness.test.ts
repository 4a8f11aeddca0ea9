// Issue 11, item 3: one agent cannot starve the others of upstream connections — a per-agent cap,
// round-robin waiting across agents, PostgreSQL's idle_in_transaction_session_timeout on agent
// sessions, and a bound on clients that stop reading their results.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { startWireServer, type WireServer, type WireServerConfig } from '../../src/wire/server.js';
import { openTestGateway, dbUrl } from '../helpers/gateway.js';
import { uniqueName } from '../helpers/env.js';
import { createDatabase, dropDatabase } from './helpers/proxy.js';

let database: string;
const open: { gw: Gateway; server: WireServer }[] = [];

beforeAll(async () => {
  database = await createDatabase('fair');
});

afterAll(async () => {
  for (const o of open) {
    await o.server.close();
    await o.gw.close();
  }
  if (database) await dropDatabase(database);
});

interface Proxy {
  client(agent: { name: string; token: string }): Promise<pg.Client>;
  agent(): Promise<{ name: string; token: string }>;
}

async function proxy(wire: Partial<WireServerConfig>, extra: { upstream?: object; wire?: object } = {}): Promise<Proxy> {
  const gw = await openTestGateway({
    database,
    extra: {
      upstream: { url: dbUrl(database), statementTimeoutMs: 15_000, poolSize: wire.poolSize ?? 5, ...extra.upstream },
      wire: { port: 0, ...extra.wire },
    },
  });
  const server = await startWireServer({
    gateway: gw,
    config: { host: '127.0.0.1', port: 0, approvalWaitSeconds: 5, maxMessageBytes: 1 << 20, ...wire },
  });
  open.push({ gw, server });
  return {
    async agent() {
      const name = uniqueName('agent');
      const { token } = await gw.createAgent(name);
      return { name, token };
    },
    async client(a) {
      const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: a.name, password: a.token, database });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
  };
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string; message?: string }) => e.code ?? e.message ?? 'error',
  );

describe('upstream connections are shared fairly between agents', () => {
  it('caps the connections one agent holds; another agent still gets one at once', async () => {
    const p = await proxy({ poolSize: 4, maxPerAgent: 2, poolWaitTimeoutMs: 1500 });
    const greedy = await p.agent();
    const polite = await p.agent();
    const [a1, a2, a3] = await Promise.all([p.client(greedy), p.client(greedy), p.client(greedy)]);
    await a1.query('BEGIN; SELECT 1');
    await a2.query('BEGIN; SELECT 1');
    const third = a3.query('SELECT 3').then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    const b = await p.client(polite);
    expect((await b.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    const err = await third;
    expect(err?.code).toBe('53300');
    expect(err?.message).toMatch(/maxPerAgent/);
    await a1.query('COMMIT');
    expect((await a3.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    for (const c of [a1, a2, a3, b]) await c.end();
  }, 30_000);

  it('serves waiting agents in turn, not in arrival order', async () => {
    const p = await proxy({ poolSize: 2, maxPerAgent: 2, poolWaitTimeoutMs: 10_000 });
    const greedy = await p.agent();
    const polite = await p.agent();
    const clients = await Promise.all([p.client(greedy), p.client(greedy), p.client(greedy), p.client(greedy), p.client(polite)]);
    const [a1, a2, a3, a4, b] = clients;
    await a1.query('BEGIN; SELECT 1');
    await a2.query('BEGIN; SELECT 1');
    const done: string[] = [];
    const q = (c: pg.Client, tag: string) => c.query(`SELECT '${tag}' AS tag`).then(() => done.push(tag));
    const waiting = [q(a3, 'a3')];
    await sleep(100);
    waiting.push(q(a4, 'a4'));
    await sleep(100);
    waiting.push(q(b, 'b')); // arrives last, behind two of the greedy agent's queries
    await sleep(100);
    await a1.query('COMMIT');
    await sleep(300);
    await a2.query('COMMIT');
    await Promise.all(waiting);
    expect(done.indexOf('b')).toBeLessThan(done.indexOf('a4'));
    for (const c of clients) await c.end();
  }, 30_000);

  it('ends an agent session idle inside a transaction (idle_in_transaction_session_timeout)', async () => {
    const p = await proxy({ poolSize: 2, maxPerAgent: 2 }, { upstream: { idleInTransactionTimeoutMs: 800 } });
    const a = await p.agent();
    const c = await p.client(a);
    await c.query('BEGIN; SELECT 1');
    await sleep(2000);
    expect(await codeOf(c.query('SELECT 1'))).not.toBe('ok');
    const admin = new pg.Client(dbUrl(database));
    await admin.connect();
    const { rows } = await admin.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'idle in transaction'",
      [database],
    );
    await admin.end();
    expect(rows[0].n).toBe(0);
    const again = await p.client(a);
    expect((await again.query('SELECT 4 AS four')).rows).toEqual([{ four: 4 }]);
    await again.end();
  }, 30_000);

  it('disconnects a client that stops reading its results and frees its server', async () => {
    const p = await proxy({ poolSize: 1, maxPerAgent: 1, poolWaitTimeoutMs: 15_000 }, { wire: { clientStallTimeoutMs: 1500 } });
    const stalled = await p.client(await p.agent());
    const ended = new Promise<void>((resolve) => stalled.on('end', () => resolve()));
    void stalled.query("SELECT repeat('x', 1000) FROM generate_series(1, 200000)").catch(() => undefined);
    (stalled as unknown as { connection: { stream: { pause(): void; resume(): void } } }).connection.stream.pause();
    // the only upstream connection is held by the stalled client: another agent waits, then gets it
    const other = await p.client(await p.agent());
    const started = Date.now();
    expect((await other.query('SELECT 5 AS five')).rows).toEqual([{ five: 5 }]);
    expect(Date.now() - started).toBeGreaterThan(1000);
    (stalled as unknown as { connection: { stream: { resume(): void } } }).connection.stream.resume();
    await ended;
    await other.end();
  }, 30_000);
});
