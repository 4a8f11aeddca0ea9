// Issue 15, item 5: Airlock's PostgreSQL store stops under a running `airlock serve` (the audit
// trail's 58030 refusal, test/audit/durability.test.ts, is the mechanism; this checks it from the
// upstream's side). Once the store is behind by audit.refuseAfterMs every request is refused with a
// clear 58030 (wire and MCP) and nothing reaches the upstream: its statement log shows no read and
// its data no write; a reviewer's approval is refused too. Started again, the store catches up and
// everything works without restarting Airlock: every statement the upstream ran has exactly one
// decision event, and the chain verifies.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startOwnCluster, type OwnCluster } from '../helpers/own-cluster.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import {
  auditEvents,
  auditVerify,
  Cleanups,
  createAgent,
  direct,
  mcpClient,
  mcpQuery,
  orHang,
  outcomeOf,
  until,
  wireClient,
  type Agent,
  type Outcome,
  reviewerApi,
} from './fault-env.js';

const cleanups = new Cleanups();
const reviewer = { name: 'rita', token: `rv_${randomBytes(18).toString('hex')}` };
let storeCluster: OwnCluster;
let upstream: OwnCluster;
let serve: ServeProcess;
let agent: Agent;
let mcp: Client;
let storeUrl: string;
const DB = 'postgres';

beforeAll(async () => {
  // the upstream logs every statement it runs: what reached it is known exactly
  [storeCluster, upstream] = await Promise.all([startOwnCluster(), startOwnCluster({ log_statement: 'all' })]);
  cleanups.add(() => storeCluster.destroy());
  cleanups.add(() => upstream.destroy());
  await direct(upstream.url(DB), 'CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL); INSERT INTO t VALUES (1, 0)');
  storeUrl = storeCluster.url(DB);
  agent = await createAgent(storeUrl);
  serve = await startServe({
    upstream: { url: upstream.url(DB) },
    store: { url: storeUrl },
    wire: { approvalWaitSeconds: 0 }, // a held write answers at once (57014, still pending)
    reviewers: [reviewer],
  });
  cleanups.add(() => serve.kill9());
  mcp = await mcpClient(serve.httpPort, agent.token, cleanups);
}, 60_000);

afterAll(() => cleanups.run());

const api = reviewerApi(() => serve.httpPort, reviewer.token);
const value = async () => (await direct<{ v: number }>(upstream.url(DB), 'SELECT v FROM t WHERE id = 1'))[0].v;
const heldId = (message: string) => /approval ([0-9a-f-]{36})/.exec(message)?.[1];
/** the markers of statements the upstream ran */
const ranUpstream = (marker: string) => new Set(upstream.log().match(new RegExp(`${marker}_[a-z]+_\\d+`, 'g')) ?? []);

describe("Airlock's PostgreSQL store stops under airlock serve", () => {
  it('fails closed (58030, nothing reaches the upstream), then recovers without a restart and loses nothing', async () => {
    const run = `s${randomBytes(4).toString('hex')}`;
    const c = await wireClient(serve.wirePort, agent, DB, cleanups);
    expect((await outcomeOf(c.query(`SELECT v FROM t WHERE id = 1 /* ${run}_warm_0 */`))).ok).toBe(true);
    const pending = await outcomeOf(c.query(`UPDATE t SET v = v + 1 WHERE id = 1 /* ${run}_held_0 */`));
    const pendingId = heldId((pending as { message: string }).message)!;
    expect(pendingId).toBeDefined();

    storeCluster.stop();
    const stoppedAt = Date.now();
    type Attempt = { marker: string; at: number; door: 'wire' | 'mcp'; outcome: Outcome };
    const seen: Attempt[] = [];
    for (let i = 1; Date.now() - stoppedAt < 4000; i++) {
      const read = `${run}_read_${i}`;
      const write = `${run}_write_${i}`;
      const at = Date.now();
      const r = await orHang(outcomeOf(c.query(`SELECT v, '${read}' AS m FROM t WHERE id = 1`)), 5000);
      seen.push({ marker: read, at, door: 'wire', outcome: r === 'hang' ? { ok: false, code: 'hang', message: '' } : r });
      const w = await orHang(outcomeOf(c.query(`UPDATE t SET v = v + 10 WHERE id = 1 /* ${write} */`)), 5000);
      seen.push({ marker: write, at, door: 'wire', outcome: w === 'hang' ? { ok: false, code: 'hang', message: '' } : w });
      if (i % 4 === 0) {
        const m = await mcpQuery(mcp, `SELECT v FROM t WHERE id = 1 /* ${run}_mcp_${i} */`);
        seen.push({
          marker: `${run}_mcp_${i}`,
          at,
          door: 'mcp',
          outcome: m.isError ? { ok: false, code: /58030/.test(m.text) ? '58030' : m.text, message: m.text } : { ok: true, rows: [] },
        });
      }
      await sleep(50);
    }
    expect(seen.filter((a) => !a.outcome.ok && a.outcome.code === 'hang')).toEqual([]);
    // once the bound (audit.refuseAfterMs, 1 s) has passed, everything is refused with 58030, without an address
    const late = seen.filter((a) => a.at - stoppedAt > 2000);
    expect(late.length).toBeGreaterThan(5);
    expect(late.filter((a) => a.outcome.ok)).toEqual([]);
    for (const a of late.filter((x) => x.door === 'wire')) {
      expect(a.outcome, a.marker).toMatchObject({ ok: false, code: '58030' });
      expect((a.outcome as { message: string }).message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:\d{4,5}\b/);
    }
    // nothing that was refused reached the upstream: no read in its statement log, no write in its data
    const ran = ranUpstream(run);
    expect(ran.has(`${run}_warm_0`), 'the statement log shows what ran').toBe(true);
    console.info(
      `[measure] store down: ${seen.length} attempts, ${seen.filter((a) => a.outcome.ok).length} answered before the bound, ${ran.size} statements reached the upstream`,
    );
    expect(seen.filter((a) => !a.outcome.ok && ran.has(a.marker)).map((a) => a.marker)).toEqual([]);
    expect(late.filter((a) => ran.has(a.marker))).toEqual([]);
    expect(await value()).toBe(0);
    // a reviewer cannot approve while the store is away, and nothing runs
    const approve = await api(`/approvals/${pendingId}/approve`, { method: 'POST', body: '{}' });
    expect(approve.status).toBe(503);
    expect(await approve.text()).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    expect(await value()).toBe(0);

    storeCluster.start();
    // no restart of Airlock: the wire connection, MCP and the reviewer API work again
    await until('a read through the wire answers again', async () => (await outcomeOf(c.query(`SELECT 1 /* ${run}_back_0 */`))).ok);
    await until('the MCP query tool answers again', async () => !(await mcpQuery(mcp, `SELECT v FROM t /* ${run}_back_1 */`)).isError);
    const held = await outcomeOf(c.query(`UPDATE t SET v = v + 100 WHERE id = 1 /* ${run}_held_1 */`));
    expect(held).toMatchObject({ ok: false, code: '57014' }); // held, still pending
    expect((await api(`/approvals/${pendingId}/approve`, { method: 'POST', body: '{}' })).status).toBe(200);
    await until('the approval executed', async () => (await value()) === 1);

    // every statement the upstream ran has exactly one decision event; the chain verifies
    await serve.stop();
    const decisions = new Map<string, number>();
    for (const e of await auditEvents(storeUrl, ['--type', 'decision'])) {
      const m = new RegExp(`${run}_[a-z]+_\\d+`).exec(String(e.data.sql ?? ''))?.[0];
      if (m) decisions.set(m, (decisions.get(m) ?? 0) + 1);
    }
    for (const m of ranUpstream(run)) expect(decisions.get(m), m).toBe(1);
    for (const a of seen.filter((x) => x.outcome.ok)) expect(decisions.get(a.marker), a.marker).toBe(1);
    const v = await auditVerify(storeUrl);
    expect(v.code, v.output).toBe(0);
  }, 60_000);
});
