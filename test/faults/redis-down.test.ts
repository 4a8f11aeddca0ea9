// Issue 15, item 5: Redis (the BullMQ approval queue) goes away under a running `airlock serve`.
// Reads keep working; a write that needs approval is refused at once with a clear 08006 (wire
// SQLSTATE, MCP isError), audited, and nothing is held or run; a write approved during the outage
// waits in the store; once redis-server is back on the same port (empty), that write runs by itself
// and new writes are held and, once approved, executed again, without restarting Airlock.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startOwnRedis, type OwnRedis } from '../helpers/own-redis.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { createDatabase, directUrlFor, dropDatabase } from '../wire/helpers/proxy.js';
import {
  auditEvents,
  Cleanups,
  createAgent,
  direct,
  mcpClient,
  mcpQuery,
  outcomeOf,
  tempDir,
  until,
  wireClient,
  type Agent,
  reviewerApi,
} from './fault-env.js';

const cleanups = new Cleanups();
const reviewer = { name: 'rita', token: `rv_${randomBytes(18).toString('hex')}` };
let redis: OwnRedis;
let serve: ServeProcess;
let agent: Agent;
let mcp: Client;
let database: string;
let storeUrl: string;

beforeAll(async () => {
  database = await createDatabase('faults_redis');
  cleanups.add(() => dropDatabase(database));
  await direct(directUrlFor(database), 'CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL); INSERT INTO t VALUES (1, 0)');
  redis = await startOwnRedis();
  cleanups.add(() => redis.stop());
  storeUrl = `sqlite:${join(tempDir(cleanups), 'store.sqlite')}`;
  agent = await createAgent(storeUrl);
  serve = await startServe({
    upstream: { url: directUrlFor(database) },
    store: { url: storeUrl },
    redis: { url: redis.url },
    wire: { approvalWaitSeconds: 0 }, // a held write answers at once (57014, still pending)
    reviewers: [reviewer],
  });
  cleanups.add(() => serve.stop());
  mcp = await mcpClient(serve.httpPort, agent.token, cleanups);
}, 60_000);

afterAll(() => cleanups.run());

const api = reviewerApi(() => serve.httpPort, reviewer.token);
const approvalStatus = async (id: string) =>
  ((await (await api(`/approvals/${id}`)).json()) as { approval: { status: string } }).approval.status;
const value = async () => (await direct<{ v: number }>(directUrlFor(database), 'SELECT v FROM t WHERE id = 1'))[0].v;
const heldId = (message: string) => /approval ([0-9a-f-]{36})/.exec(message)?.[1];

describe('Redis goes away under airlock serve', () => {
  it('reads go on, held writes fail closed with 08006 (audited), and both work again once Redis is back', async () => {
    const c = await wireClient(serve.wirePort, agent, database, cleanups);
    // with Redis up: held, approvable, executed
    const first = await outcomeOf(c.query('UPDATE t SET v = v + 1 WHERE id = 1 /* first */'));
    expect(first).toMatchObject({ ok: false, code: '57014' });
    const firstId = heldId((first as { message: string }).message)!;
    expect(firstId).toBeDefined();
    expect((await api(`/approvals/${firstId}/approve`, { method: 'POST', body: '{}' })).status).toBe(200);
    await until('the first write executed', async () => (await approvalStatus(firstId)) === 'executed');
    expect(await value()).toBe(1);

    // held before the outage, approved during it: it must not be lost
    const early = await outcomeOf(c.query('UPDATE t SET v = v + 1000 WHERE id = 1 /* approved while Redis is down */'));
    const earlyId = heldId((early as { message: string }).message)!;
    expect(earlyId).toBeDefined();

    await redis.stop();
    const marker = `down_${randomBytes(4).toString('hex')}`;
    // an auto SELECT keeps working through the wire (and MCP)
    const read = await outcomeOf(c.query(`SELECT v, '${marker}' AS m FROM t WHERE id = 1`));
    expect(read).toEqual({ ok: true, rows: [{ v: 1, m: marker }] });
    expect((await mcpQuery(mcp, `SELECT v FROM t WHERE id = 1 /* ${marker} */`)).structured.rows).toEqual([{ v: '1' }]); // MCP rows carry PostgreSQL's exact text
    // an ask UPDATE is refused at once with a clear error, on both doors
    const t0 = Date.now();
    const refused = await outcomeOf(c.query(`UPDATE t SET v = v + 10 WHERE id = 1 /* ${marker} wire */`));
    expect(refused).toMatchObject({ ok: false, code: '08006' });
    expect((refused as { message: string }).message).toMatch(/approval queue is unreachable.*fail closed/);
    const viaMcp = await mcpQuery(mcp, `UPDATE t SET v = v + 100 WHERE id = 1 /* ${marker} mcp */`);
    expect(viaMcp.isError).toBe(true);
    expect(viaMcp.text).toMatch(/08006.*approval queue is unreachable/);
    expect(Date.now() - t0, 'refused within the queue deadline, not after a long wait').toBeLessThan(5000);
    // a reviewer may still approve: the approval waits in the store until the queue is back
    expect((await api(`/approvals/${earlyId}/approve`, { method: 'POST', body: '{}' })).status).toBe(200);
    expect(await approvalStatus(earlyId)).toBe('approved');
    // the connection itself stays usable
    expect((await outcomeOf(c.query('SELECT 1 AS one'))).ok).toBe(true);
    // nothing was held and nothing ran
    const { approvals: list } = (await (await api('/approvals?limit=1000')).json()) as { approvals: { sql: string }[] };
    expect(list.filter((a) => a.sql.includes(marker))).toEqual([]);
    expect(await value()).toBe(1);
    // audited: each refused write has its decision and the error that followed it
    const events = await until('the refusals in the audit trail', async () => {
      const all = await auditEvents(storeUrl);
      const errors = all.filter((e) => e.type === 'error' && String(e.data.sql ?? '').includes(marker));
      return errors.length >= 2 ? all : null;
    });
    for (const door of ['wire', 'mcp']) {
      const sql = `${marker} ${door}`;
      expect(
        events.filter((e) => e.type === 'decision' && String(e.data.sql).includes(sql)),
        door,
      ).toHaveLength(1);
      const error = events.find((e) => e.type === 'error' && String(e.data.sql).includes(sql));
      expect(error?.data, door).toMatchObject({ code: '08006' });
    }

    // Redis back on the same port (empty): a write is held again by itself, approvable, and runs
    await redis.start();
    await until('the write approved during the outage executed by itself', async () => (await approvalStatus(earlyId)) === 'executed');
    expect(await value()).toBe(1001);
    const back = await until('a write is held again', async () => {
      const o = await outcomeOf(c.query(`UPDATE t SET v = v + 1 WHERE id = 1 /* back ${marker} */`));
      return !o.ok && o.code === '57014' ? o : null;
    });
    const backId = heldId(back.message)!;
    expect((await api(`/approvals/${backId}/approve`, { method: 'POST', body: '{}' })).status).toBe(200);
    await until('the write executed after Redis came back', async () => (await approvalStatus(backId)) === 'executed');
    expect(await value()).toBe(1002);
    // the MCP door holds again too
    const heldViaMcp = await mcpQuery(mcp, `UPDATE t SET v = v + 1 WHERE id = 1 /* back mcp ${marker} */`);
    expect(heldViaMcp.isError).toBe(false);
    expect(heldViaMcp.structured.status).toBe('pending');
  }, 60_000);
});
