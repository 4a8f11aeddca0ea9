// Taking over an `executing` approval whose worker's lease lapsed, when that worker's statement
// commits anyway: its own result is what the approval records, whether it commits while the new
// worker waits on the claim or had committed before the takeover and is still alive; a worker that
// died after committing is marked executed (once) without a result. "Worker A" here is the test
// itself doing what a stalled worker does: hold the claim and the statement in an open transaction.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import pg from 'pg';
import { createFixtureDb, type FixtureDb } from './preview-db.js';
import { dbUrl, openTestGateway } from '../helpers/gateway.js';
import { MARKER_TABLE } from '../../src/approvals/execute-marker.js';
import { Gateway as GatewayClass } from '../../src/gateway/gateway.js';
import { startFakeUpstream } from '../api/fake-upstream.js';
import { fakepayTestConfig } from '../api/fakepay-gateway.js';

let db: FixtureDb;
type Gateway = GatewayClass;
let gw: Gateway | undefined;
const workers: pg.Client[] = [];
beforeAll(async () => {
  db = await createFixtureDb('takeover');
  await db.admin.query(
    `CREATE SCHEMA IF NOT EXISTS airlock_meta;
     CREATE TABLE IF NOT EXISTS ${MARKER_TABLE} (approval_id text PRIMARY KEY, executed_at timestamptz NOT NULL DEFAULT now())`,
  );
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((c) => c.end().catch(() => undefined)));
  await gw?.close();
  gw = undefined;
});

const ROW = 3;
const SQL = `UPDATE accounts SET balance = balance + 1 WHERE id = ${ROW}`;
const A_RESULT = { command: 'UPDATE', rowCount: 1, fields: [], rows: [], by: 'worker A' };
const balance = async () => Number((await db.admin.query('SELECT balance FROM accounts WHERE id = $1', [ROW])).rows[0].balance);

/** A held UPDATE, moved to `executing` under a lease that has already lapsed (its worker stalled). */
async function stalledApproval() {
  gw = await openTestGateway({ database: db.name });
  const g = gw;
  const { agent } = await g.store.createAgent(`takeover-${Math.random().toString(36).slice(2, 8)}`);
  const held = await g.query({ agent: { id: agent.id, name: agent.name }, door: 'api', database: db.name, sql: SQL });
  if (held.status !== 'pending') throw new Error(`expected pending, got ${held.status}`);
  const rec = await g.store.updateApproval(held.approvalId, {
    fromStatus: ['pending'],
    patch: { status: 'executing', attempts: 1, leaseUntil: Date.now() - 1 },
  });
  if (!rec) throw new Error('could not mark the approval executing');
  return { g, id: held.approvalId };
}

/** Worker A's transaction: the claim and the statement, left open. */
async function workerA(id: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: dbUrl(db.name) });
  workers.push(c);
  await c.connect();
  await c.query('BEGIN');
  await c.query(`INSERT INTO ${MARKER_TABLE} (approval_id) VALUES ($1)`, [id]);
  await c.query(SQL);
  return c;
}

const waitingOnLock = async () =>
  (
    await db.admin.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
    )
  ).rowCount! > 0;

/** What worker A does once its COMMIT returned: record its result. */
const recordA = (g: Gateway, id: string) =>
  g.store.updateApproval(id, { fromStatus: ['executing'], patch: { status: 'executed', result: A_RESULT } });

describe('taking over an approval whose worker stalled', () => {
  it('A commits while the new worker waits on the claim: A records its result, the statement ran once', async () => {
    const { g, id } = await stalledApproval();
    const before = await balance();
    const a = await workerA(id);
    const b = g.approvals.execute(id); // the new worker: takes over, then waits on A's claim
    for (let i = 0; !(await waitingOnLock()); i++) {
      if (i > 200) throw new Error('the new worker never waited on the claim');
      await new Promise((r) => setTimeout(r, 25));
    }
    await a.query('COMMIT');
    await new Promise((r) => setTimeout(r, 500)); // A's store write comes a moment after its COMMIT
    expect(await recordA(g, id)).toMatchObject({ status: 'executed' });
    await b;
    const rec = await g.approvals.get(id);
    expect(rec).toMatchObject({ status: 'executed', result: A_RESULT });
    expect(await balance()).toBe(before + 1);
  }, 30_000);

  it('A committed before the takeover and is still alive (renewing): it records its result', async () => {
    const { g, id } = await stalledApproval();
    const a = await workerA(id);
    await a.query('COMMIT');
    const b = g.approvals.execute(id);
    await new Promise((r) => setTimeout(r, 1000));
    // A's lease renewal, then (after the new worker's wait) its result
    await g.store.updateApproval(id, { fromStatus: ['executing'], patch: { leaseUntil: Date.now() + 10_000 } });
    await b;
    expect((await g.approvals.get(id)).status).toBe('executing');
    expect(await recordA(g, id)).toMatchObject({ status: 'executed' });
    expect(await g.approvals.get(id)).toMatchObject({ status: 'executed', result: A_RESULT });
  }, 30_000);

  it('A died after committing: the approval is marked executed without a result, and nothing runs twice', async () => {
    const { g, id } = await stalledApproval();
    const before = await balance();
    const a = await workerA(id);
    await a.query('COMMIT');
    const started = Date.now();
    const done = await g.approvals.awaitOutcome(id, 20_000, { decision: 'ask', rule: 'x', reason: 'x', statements: [] });
    expect(done.status).toBe('executed');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await g.approvals.get(id)).result).toMatchObject({ note: expect.stringMatching(/result not kept/) });
    await g.approvals.execute(id); // a duplicate delivery
    expect(await balance()).toBe(before + 1);
    await g.audit.flush();
    expect(await g.store.listAudit({ approvalId: id, type: 'execution.executed' })).toHaveLength(1);
  }, 30_000);
});

describe('taking over an API call (not idempotent) whose worker stalled', () => {
  /** A held refund (POST: not idempotent), moved to `executing` under a lapsed lease. */
  async function stalledCall() {
    const upstream = await startFakeUpstream();
    const spec = await fakepayTestConfig(db.name, upstream, 'sk_test_takeover');
    gw = await GatewayClass.open(spec.config, spec.opts);
    const { agent } = await gw.store.createAgent(`takeover-${Math.random().toString(36).slice(2, 8)}`);
    const held = await gw.callApi({
      agent: { id: agent.id, name: agent.name },
      door: 'api',
      integration: 'fakepay',
      method: 'create_refund',
      args: { charge: 'ch_1', amount: 500 },
    });
    if (held.status !== 'pending') throw new Error(`expected pending, got ${held.status}`);
    await gw.store.updateApproval(held.approvalId, {
      fromStatus: ['pending'],
      patch: { status: 'executing', attempts: 1, leaseUntil: Date.now() - 1 },
    });
    const refunds = () => upstream.received.filter((r) => r.url.startsWith('/v1/refunds')).length;
    return { g: gw, id: held.approvalId, upstream, refunds };
  }

  it('its worker is alive (renews its lease): the call is left to it, neither failed nor sent again', async () => {
    const { g, id, upstream, refunds } = await stalledCall();
    try {
      const b = g.approvals.execute(id);
      await new Promise((r) => setTimeout(r, 1000));
      await g.store.updateApproval(id, { fromStatus: ['executing'], patch: { leaseUntil: Date.now() + 10_000 } });
      await b;
      expect((await g.approvals.get(id)).status).toBe('executing');
      expect(refunds()).toBe(0);
    } finally {
      await upstream.close();
    }
  }, 30_000);

  it('its worker died: failed, not sent a second time', async () => {
    const { g, id, upstream, refunds } = await stalledCall();
    try {
      await g.approvals.awaitOutcome(id, 20_000, { decision: 'ask', rule: 'x', reason: 'x', statements: [] });
      expect(await g.approvals.get(id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/not sent again/) });
      expect(refunds()).toBe(0);
    } finally {
      await upstream.close();
    }
  }, 30_000);
});
