// Issue 15, item 6: several gateways as one. Two `airlock serve` processes share one Redis (the
// BullMQ queue, a queue name of their own: redis.queueName) and one PostgreSQL store (a schema of
// its own). Approvals approved on both gateways (and the CLI) at once execute exactly once; 1,000
// mixed requests over both doors of both gateways leave one chain that verifies, with exactly one
// decision event per request; a gateway killed with SIGKILL mid-run loses no approval and no
// answered request's decision, its approved work is finished by the other, and its clients carry
// on through the other gateway.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { runCli } from '../helpers/cli.js';
import { DATABASE_URL, REDIS_URL, uniqueName } from '../helpers/env.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { createDatabase, directUrlFor, dropDatabase } from '../wire/helpers/proxy.js';
import {
  auditEvents,
  auditVerify,
  Cleanups,
  createAgent,
  direct,
  mcpClient,
  mcpQuery,
  outcomeOf,
  until,
  wireClient,
  type Agent,
  type AuditEvent,
} from './fault-env.js';

const cleanups = new Cleanups();
const reviewers = [
  { name: 'rita', token: `rv_${randomBytes(18).toString('hex')}` },
  { name: 'sam', token: `rv_${randomBytes(18).toString('hex')}` },
];
const schema = uniqueName('mgw_store');
const storeUrl = `${DATABASE_URL}?schema=${schema}`;
let database: string;
let config: Record<string, unknown>;
let gw1: ServeProcess;
let gw2: ServeProcess;
let agent: Agent;

beforeAll(async () => {
  database = await createDatabase('mgw_up');
  cleanups.add(() => dropDatabase(database));
  cleanups.add(() => direct(DATABASE_URL, `DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  await direct(
    directUrlFor(database),
    'CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL); INSERT INTO t SELECT g, 0 FROM generate_series(1, 10) g',
  );
  agent = await createAgent(storeUrl);
  config = {
    upstream: { url: directUrlFor(database) },
    store: { url: storeUrl },
    redis: { url: REDIS_URL, queueName: uniqueName('mgw_q') },
    wire: { approvalWaitSeconds: 0 }, // a held write answers at once (57014, still pending)
    reviewers,
  };
  [gw1, gw2] = await Promise.all([startServe(config), startServe(config)]);
  cleanups.add(() => gw1.stop());
  cleanups.add(() => gw2.stop());
}, 60_000);

afterAll(() => cleanups.run());

const wire = (gw: ServeProcess) => wireClient(gw.wirePort, agent, database, cleanups);
const approve = (gw: ServeProcess, id: string, who = reviewers[0]) =>
  fetch(`http://127.0.0.1:${gw.httpPort}/api/approvals/${id}/approve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
    body: '{}',
  }).then((r) => r.status);
const heldId = (message: string) => /approval ([0-9a-f-]{36})/.exec(message)?.[1];
const approvals = () =>
  direct<{ id: string; status: string; sql: string }>(DATABASE_URL, `SELECT id, status, sql FROM ${schema}.approvals`);
const values = async () =>
  new Map((await direct<{ id: number; v: number }>(directUrlFor(database), 'SELECT id, v FROM t')).map((r) => [r.id, r.v]));

/** How many events of each marker the trail holds (decision events unless told). */
function countByMarker(events: AuditEvent[], pattern: RegExp, type = 'decision'): Map<string, number> {
  const n = new Map<string, number>();
  for (const e of events) {
    if (e.type !== type) continue;
    const m = pattern.exec(String(e.data.sql ?? ''))?.[0];
    if (m) n.set(m, (n.get(m) ?? 0) + 1);
  }
  return n;
}

/** Hold `UPDATE t SET v = v + 1 WHERE id = row` through a wire client: the approval id. */
async function hold(c: pg.Client, row: number, marker: string): Promise<string> {
  const r = await outcomeOf(c.query(`UPDATE t SET v = v + 1 WHERE id = ${row} /* ${marker} */`));
  expect(r).toMatchObject({ ok: false, code: '57014' });
  return heldId((r as { message: string }).message)!;
}

describe('two gateways on one Redis and one PostgreSQL store', () => {
  it('approvals held on one and approved on both gateways and the CLI at once execute exactly once', async () => {
    const run = `x${randomBytes(3).toString('hex')}`;
    const c = await wire(gw1);
    const rows = [1, 2, 3, 4, 5];
    const ids: string[] = [];
    for (const row of rows) ids.push(await hold(c, row, `${run}_${row}`));
    // every approval approved three times at once: HTTP on gateway 1, HTTP on gateway 2, the CLI
    const answers = await Promise.all(
      ids.flatMap((id) => [
        approve(gw1, id, reviewers[0]),
        approve(gw2, id, reviewers[1]),
        runCli(['approvals', 'approve', id, '--as', 'carol', '--store', storeUrl]).then((r) => (r.code === 0 ? 200 : r.code)),
      ]),
    );
    for (let i = 0; i < ids.length; i++) expect(answers.slice(i * 3, i * 3 + 3), ids[i]).toContain(200);
    await until(
      'every approval executed',
      async () => (await approvals()).filter((a) => ids.includes(a.id) && a.status === 'executed').length === ids.length,
    );
    // the rows moved once, one execution each (a second run would have to claim the approval first,
    // which its final status no longer allows)
    const v = await values();
    for (const row of rows) expect(v.get(row), `row ${row}`).toBe(1);
    const events = await auditEvents(storeUrl);
    for (const id of ids) {
      expect(
        events.filter((e) => e.type === 'execution.started' && e.approval_id === id),
        id,
      ).toHaveLength(1);
      expect(
        events.filter((e) => e.type === 'execution.executed' && e.approval_id === id),
        id,
      ).toHaveLength(1);
      expect(
        events.filter((e) => e.type === 'approval.approved' && e.approval_id === id),
        id,
      ).toHaveLength(1);
    }
  }, 60_000);

  it('1,000 mixed requests over both gateways: the chain verifies, exactly one decision event per request', async () => {
    const run = `m${randomBytes(3).toString('hex')}`;
    const N = 1000;
    const sqls: { sql: string; tier: 'auto' | 'ask' | 'block'; marker: string }[] = [];
    for (let i = 0; i < N; i++) {
      const marker = `${run}_${i}`;
      if (i % 10 === 0) sqls.push({ marker, tier: 'block', sql: `DROP TABLE t /* ${marker} */` });
      else if (i % 10 === 1) sqls.push({ marker, tier: 'ask', sql: `UPDATE t SET v = v + 1 WHERE id = 10 /* ${marker} */` });
      else sqls.push({ marker, tier: 'auto', sql: `SELECT v, '${marker}' AS m FROM t WHERE id = 10` });
    }
    // six channels: two wire connections and one MCP session on each gateway
    const wires = await Promise.all([wire(gw1), wire(gw1), wire(gw2), wire(gw2)]);
    const mcps: Client[] = await Promise.all([
      mcpClient(gw1.httpPort, agent.token, cleanups),
      mcpClient(gw2.httpPort, agent.token, cleanups),
    ]);
    type Answer = { marker: string; tier: string; got: string };
    const send = async (k: number, s: (typeof sqls)[number]): Promise<Answer> => {
      if (k < wires.length) {
        const o = await outcomeOf(wires[k].query(s.sql));
        return { marker: s.marker, tier: s.tier, got: o.ok ? 'auto' : o.code === '57014' ? 'ask' : o.code === '42501' ? 'block' : o.code };
      }
      const a = await mcpQuery(mcps[k - wires.length], s.sql);
      const status = a.structured.status;
      return {
        marker: s.marker,
        tier: s.tier,
        got: status === 'executed' ? 'auto' : status === 'pending' ? 'ask' : status === 'blocked' ? 'block' : a.text,
      };
    };
    const channels = wires.length + mcps.length;
    const started = Date.now();
    const answers = (
      await Promise.all(
        Array.from({ length: channels }, async (_, k) => {
          const out: Answer[] = [];
          for (let i = k; i < N; i += channels) out.push(await send(k, sqls[i]));
          return out;
        }),
      )
    ).flat();
    const elapsed = Date.now() - started;
    expect(answers.filter((a) => a.got !== a.tier)).toEqual([]);
    expect(answers).toHaveLength(N);
    const events = await auditEvents(storeUrl);
    const v = await auditVerify(storeUrl);
    expect(v.code, v.output).toBe(0);
    const decisions = countByMarker(events, new RegExp(`${run}_\\d+\\b`));
    expect(decisions.size).toBe(N);
    expect([...decisions].filter(([, n]) => n !== 1)).toEqual([]);
    // and the decision recorded is the one the agent was given; every held write has its approval
    const tierOf = new Map<string, string>();
    for (const e of events) {
      const m = e.type === 'decision' ? new RegExp(`${run}_\\d+\\b`).exec(String(e.data.sql ?? ''))?.[0] : undefined;
      if (m) tierOf.set(m, String(e.decision));
    }
    expect(sqls.filter((s) => tierOf.get(s.marker) !== s.tier).map((s) => s.marker)).toEqual([]);
    const held = new Set((await approvals()).map((a) => new RegExp(`${run}_\\d+\\b`).exec(a.sql)?.[0]).filter(Boolean));
    expect(sqls.filter((s) => s.tier === 'ask' && !held.has(s.marker)).map((s) => s.marker)).toEqual([]);
    console.info(`[measure] ${N} mixed requests over 2 gateways (4 wire, 2 MCP) in ${elapsed} ms`);
  }, 60_000);

  it('a gateway killed with SIGKILL mid-run loses no approval and no answered decision; its clients carry on through the other', async () => {
    const run = `k${randomBytes(3).toString('hex')}`;
    const before = await values();
    const answered: { marker: string; approvalId?: string }[] = [];
    const approvedOn2: string[] = [];
    let stop = false;
    let n = 0;
    // two clients of gateway 2: reads and held writes, one client's approved at once through gateway 2;
    // each write sleeps 1 s as it runs, so executions are in flight when the gateway dies
    const clients = await Promise.all([wire(gw2), wire(gw2)]);
    const loops = clients.map(async (c, k) => {
      while (!stop) {
        const i = n++;
        const marker = `${run}_${i}`;
        const write = i % 3 === 0;
        const row = 6 + (i % 4); // rows 6-9
        const sql = write
          ? `UPDATE t SET v = v + 1 + (SELECT 0 FROM pg_sleep(1)) WHERE id = ${row} /* ${marker} */`
          : `SELECT '${marker}' AS m`;
        const o = await outcomeOf(c.query(sql));
        if (o.ok) {
          answered.push({ marker });
          continue;
        }
        if (o.code !== '57014') return; // the connection died with its gateway
        const id = heldId(o.message)!;
        answered.push({ marker, approvalId: id });
        if (k === 0 && (await approve(gw2, id).catch(() => 0)) === 200) approvedOn2.push(id);
      }
    });
    let executing = 0;
    await until(
      'work held and approved through gateway 2, with executions running',
      async () => {
        if (approvedOn2.length < 3) return false;
        executing = (await approvals()).filter((a) => approvedOn2.includes(a.id) && a.status === 'executing').length;
        return executing > 0;
      },
      30_000,
      20,
    );
    await gw2.kill9();
    stop = true;
    await Promise.all(loops);

    // its clients reconnect to gateway 1 and carry on
    const again = await wire(gw1);
    expect(await outcomeOf(again.query(`SELECT '${run}_after' AS m`))).toEqual({ ok: true, rows: [{ m: `${run}_after` }] });

    // no approval lost: every approval a client was told of is in the store, every one approved on
    // the dead gateway is finished by the living one, exactly once
    const all = await approvals();
    const told = answered.filter((a) => a.approvalId).map((a) => a.approvalId!);
    expect(told.filter((id) => !all.some((a) => a.id === id))).toEqual([]);
    await until(
      'approvals approved on the killed gateway executed by the other',
      async () => {
        const now = await approvals();
        return approvedOn2.every((id) => now.find((a) => a.id === id)?.status === 'executed');
      },
      30_000,
      250,
    );
    // every executed approval of this run moved its row once — also one gateway 2 approved whose
    // answer the kill cut off (the client never learnt it was approved)
    const now = await approvals();
    const moved = new Map<number, number>();
    for (const a of now.filter((x) => told.includes(x.id) && x.status === 'executed')) {
      const row = Number(/WHERE id = (\d+)/.exec(a.sql)![1]);
      moved.set(row, (moved.get(row) ?? 0) + 1);
    }
    const after = await values();
    for (const row of [6, 7, 8, 9]) expect(after.get(row)! - before.get(row)!, `row ${row}`).toBe(moved.get(row) ?? 0);

    // no audited event lost: every answered request has exactly one decision (the dead gateway's
    // journal is replayed), each approved approval one execution; the chain verifies
    const events = await auditEvents(storeUrl);
    const decisions = countByMarker(events, new RegExp(`${run}_\\d+\\b`));
    expect(answered.filter((a) => decisions.get(a.marker) !== 1).map((a) => a.marker)).toEqual([]);
    for (const id of approvedOn2)
      expect(
        events.filter((e) => e.type === 'execution.executed' && e.approval_id === id),
        id,
      ).toHaveLength(1);
    const v = await auditVerify(storeUrl);
    expect(v.code, v.output).toBe(0);
    console.info(
      `[measure] SIGKILL mid-run: ${answered.length} answered through gateway 2, ${told.length} held, ${approvedOn2.length} approved there, ${executing} executing (on either gateway) at the kill`,
    );
  }, 60_000);
});
