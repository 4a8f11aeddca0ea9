// The approval spine end to end on the real PostgreSQL: hold with preview, approve → executed once,
// deny, expiry, dual approval, no self-approval, drift, thresholds, bad reviewer input.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { createFixtureDb, stateChecksum, type FixtureDb } from './preview-db.js';
import { openTestGateway } from '../helpers/gateway.js';
import type { Gateway } from '../../src/gateway/gateway.js';
import type { GatewayRequest } from '../../src/domain/request.js';

let db: FixtureDb;
let gw: Gateway | undefined;
beforeAll(async () => {
  db = await createFixtureDb('svc');
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const agentReq = (g: Gateway, agent: { id: string; name: string }, sql: string, params?: unknown[]): GatewayRequest => ({
  agent,
  door: 'api',
  database: db.name,
  sql,
  params,
});

async function setup(approvals: Record<string, unknown> = {}) {
  gw = await openTestGateway({ database: db.name, approvals });
  const { agent } = await gw.store.createAgent(`agent-${Math.random().toString(36).slice(2, 8)}`);
  return { g: gw, agent: { id: agent.id, name: agent.name } };
}

async function until<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('approval spine', () => {
  it('holds an UPDATE with the exact preview, executes it once after approval and records the result', async () => {
    const { g, agent } = await setup();
    const before = await stateChecksum(db.admin);
    const out = await g.query(agentReq(g, agent, "UPDATE orders SET status = 'shipped' WHERE account_id = $1", [3]));
    expect(out.status).toBe('pending');
    if (out.status !== 'pending') return;
    expect(out.preview).toMatchObject({ available: true, affectedRows: 2 });
    expect(out.preview.rows?.map((r) => r.status)).toEqual(['shipped', 'shipped']);
    expect(out.preview.before?.map((r) => r.status).sort()).toEqual(['open', 'paid']);
    expect(await stateChecksum(db.admin)).toEqual(before); // the preview changed nothing
    const approved = await g.approvals.approve(out.approvalId, 'rita', 'looks right');
    expect(approved.status).toBe('approved');
    const done = await g.approvals.awaitOutcome(out.approvalId, 10_000, out.decision);
    expect(done.status).toBe('executed');
    const rows = await db.admin.query("SELECT count(*)::int AS n FROM orders WHERE account_id = 3 AND status = 'shipped'");
    expect(rows.rows[0].n).toBe(2);
    const rec = await g.approvals.get(out.approvalId);
    expect(rec.status).toBe('executed');
    expect((rec.result as { rowCount: number }).rowCount).toBe(2);
    // executing the same approval again changes nothing
    await g.approvals.execute(out.approvalId);
    const markers = await db.admin.query('SELECT count(*)::int AS n FROM airlock_meta.executions WHERE approval_id = $1', [out.approvalId]);
    expect(markers.rows[0].n).toBe(1);
    await g.audit.flush();
    const types = (await g.store.listAudit({ approvalId: out.approvalId, order: 'asc', limit: 50 })).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['approval.created', 'approval.approved', 'execution.started', 'execution.executed']));
  });

  it('holds an INSERT and shows the new rows', async () => {
    const { g, agent } = await setup();
    const out = await g.query(agentReq(g, agent, "INSERT INTO accounts (id, owner, balance) VALUES (100, 'zoe', 7)"));
    expect(out.status).toBe('pending');
    if (out.status !== 'pending') return;
    expect(out.preview).toMatchObject({ available: true, affectedRows: 1, rows: [{ id: '100', owner: 'zoe', balance: '7' }] });
  });

  it('deny leaves the database unchanged and tells the agent why', async () => {
    const { g, agent } = await setup();
    const before = await stateChecksum(db.admin);
    const out = await g.query(agentReq(g, agent, 'UPDATE orders SET total = 0 WHERE id = 1'));
    if (out.status !== 'pending') throw new Error(`expected pending, got ${out.status}`);
    await g.approvals.deny(out.approvalId, 'rita', 'not today');
    const done = await g.approvals.awaitOutcome(out.approvalId, 5_000, out.decision);
    expect(done.status).toBe('denied');
    if (done.status === 'denied') {
      expect(done.error.code).toBe('42501');
      expect(done.error.message).toMatch(/not today/);
    }
    expect(await stateChecksum(db.admin)).toEqual(before);
    await expect(g.approvals.approve(out.approvalId, 'sam')).rejects.toThrow(/denied, not pending/);
  });

  it('expires undecided approvals; approving an expired one is refused', async () => {
    const { g, agent } = await setup({ expiryMinutes: 0.002 }); // 120 ms
    const out = await g.query(agentReq(g, agent, 'UPDATE orders SET total = 1 WHERE id = 2'));
    if (out.status !== 'pending') throw new Error('expected pending');
    await new Promise((r) => setTimeout(r, 200));
    await expect(g.approvals.approve(out.approvalId, 'rita')).rejects.toThrow(/expired/);
    expect((await g.approvals.get(out.approvalId)).status).toBe('expired');
    const done = await g.approvals.awaitOutcome(out.approvalId, 1000, out.decision);
    expect(done.status).toBe('error');
  });

  it('dual approval needs two different reviewers; self-approval is refused', async () => {
    const { g, agent } = await setup({ requiredApprovals: 2 });
    const out = await g.query(agentReq(g, agent, "UPDATE orders SET status = 'x' WHERE id = 3"));
    if (out.status !== 'pending') throw new Error('expected pending');
    await expect(g.approvals.approve(out.approvalId, agent.name)).rejects.toThrow(/self-approval/);
    const first = await g.approvals.approve(out.approvalId, 'rita');
    expect(first.status).toBe('pending');
    await expect(g.approvals.approve(out.approvalId, 'rita')).rejects.toThrow(/already approved/);
    const second = await g.approvals.approve(out.approvalId, 'sam');
    expect(second.status).toBe('approved');
    expect((await g.approvals.awaitOutcome(out.approvalId, 10_000, out.decision)).status).toBe('executed');
  });

  it('drift: rows changed between preview and approval → not committed, drifted', async () => {
    const { g, agent } = await setup();
    const out = await g.query(agentReq(g, agent, "UPDATE orders SET status = 'void' WHERE account_id = 1"));
    if (out.status !== 'pending') throw new Error('expected pending');
    expect(out.preview.affectedRows).toBe(2);
    await db.admin.query("INSERT INTO orders (account_id, total, status) VALUES (1, 5, 'open')");
    const before = await stateChecksum(db.admin);
    await g.approvals.approve(out.approvalId, 'rita');
    const done = await g.approvals.awaitOutcome(out.approvalId, 10_000, out.decision);
    expect(done.status).toBe('error');
    expect((await g.approvals.get(out.approvalId)).status).toBe('drifted');
    expect(await stateChecksum(db.admin)).toEqual(before);
  });

  it('thresholds: auto-approve a 1-row change, require two approvers above N rows', async () => {
    const { g, agent } = await setup({ thresholds: [{ table: 'orders', autoApproveMaxRows: 1, dualApprovalAboveRows: 3 }] });
    const small = await g.query(agentReq(g, agent, 'UPDATE orders SET total = total WHERE id = 4'));
    if (small.status !== 'pending') throw new Error('expected pending');
    const smallDone = await g.approvals.awaitOutcome(small.approvalId, 10_000, small.decision);
    expect(smallDone.status).toBe('executed');
    const big = await g.query(agentReq(g, agent, 'UPDATE orders SET total = total'));
    if (big.status !== 'pending') throw new Error('expected pending');
    expect((await g.approvals.get(big.approvalId)).requiredApprovals).toBe(2);
  });

  it('a retry of the identical statement while pending reuses the approval; after execution it gets the result once', async () => {
    const { g, agent } = await setup();
    const sql = 'UPDATE orders SET total = 99 WHERE id = 5';
    const first = await g.query(agentReq(g, agent, sql));
    const again = await g.query(agentReq(g, agent, sql));
    if (first.status !== 'pending' || again.status !== 'pending') throw new Error('expected pending');
    expect(again.approvalId).toBe(first.approvalId);
    await g.approvals.approve(first.approvalId, 'rita');
    await until(async () => ((await g.approvals.get(first.approvalId)).status === 'executed' ? true : undefined));
    const grant = await g.query(agentReq(g, agent, sql));
    expect(grant).toMatchObject({ status: 'executed', approvalId: first.approvalId });
    const next = await g.query(agentReq(g, agent, sql));
    expect(next.status).toBe('pending');
    if (next.status === 'pending') expect(next.approvalId).not.toBe(first.approvalId);
  });

  it('refuses malformed and unknown ids with clear errors', async () => {
    const { g } = await setup();
    await expect(g.approvals.approve('not-a-uuid', 'rita')).rejects.toMatchObject({ code: '22023' });
    await expect(g.approvals.approve("1' OR '1'='1", 'rita')).rejects.toMatchObject({ code: '22023' });
    await expect(g.approvals.get('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ code: '42704' });
  });

  it('statements whose effects escape a rollback are held without a preview', async () => {
    const { g, agent } = await setup();
    const before = await stateChecksum(db.admin);
    const out = await g.query(agentReq(g, agent, "SELECT nextval('order_seq')"));
    if (out.status !== 'pending') throw new Error('expected pending');
    expect(out.preview.available).toBe(false);
    expect(out.preview.reason).toMatch(/^preview unavailable: /);
    expect(await stateChecksum(db.admin)).toEqual(before);
  });
});
