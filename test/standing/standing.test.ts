// Standing approvals ("always allow", issue 16 item 5) on the real PostgreSQL and a real store: a
// reviewer makes one from an approval, and it approves exactly the same agent's later requests of
// the same shape — while it has uses left, until it expires or is revoked, only when its condition
// holds — and never another agent's, never a blocked request, never more than its maximum even when
// two gateways share the store.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { createFixtureDb, type FixtureDb } from '../approvals/preview-db.js';
import { openTestGateway, testConfig } from '../helpers/gateway.js';
import { Gateway } from '../../src/gateway/gateway.js';
import type { GatewayOutcome } from '../../src/domain/request.js';
import type { StandingOptions } from '../../src/domain/standing.js';
import { startFakeUpstream } from '../api/fake-upstream.js';
import { fakepayTestConfig } from '../api/fakepay-gateway.js';

let db: FixtureDb;
const open: Gateway[] = [];
beforeAll(async () => {
  db = await createFixtureDb(
    'standing',
    "CREATE TABLE items (id int PRIMARY KEY, status text, total int); INSERT INTO items SELECT g, 'new', g FROM generate_series(1, 100) g;",
  );
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  for (const g of open.splice(0)) await g.close();
});

type AgentRef = { id: string; name: string };

async function setup(spec: { approvals?: Record<string, unknown>; policy?: Record<string, unknown> } = {}) {
  const g = await openTestGateway({ database: db.name, ...spec });
  open.push(g);
  const agent = await newAgent(g);
  return { g, agent };
}

async function newAgent(g: Gateway): Promise<AgentRef> {
  const { agent } = await g.createAgent(`agent-${Math.random().toString(36).slice(2, 8)}`);
  return { id: agent.id, name: agent.name };
}

const ask = (g: Gateway, agent: AgentRef, sql: string, params?: unknown[]) =>
  g.query({ agent, door: 'api', database: db.name, sql, params });

function pendingId(out: GatewayOutcome): string {
  if (out.status !== 'pending') throw new Error(`expected pending, got ${out.status}: ${JSON.stringify(out)}`);
  return out.approvalId;
}

/** Hold `sql`, make a standing approval from it (which approves it too), and wait until it ran. */
async function always(g: Gateway, agent: AgentRef, sql: string, opts: StandingOptions = {}, params?: unknown[]) {
  const id = pendingId(await ask(g, agent, sql, params));
  const rule = await g.alwaysAllow(id, 'rita', opts);
  expect((await g.awaitOutcome(id, 15_000)).status).toBe('executed');
  return rule;
}

const statusOf = async (id: number) => (await db.admin.query('SELECT status FROM items WHERE id = $1', [id])).rows[0].status as string;

describe('standing approvals', () => {
  it('approves the same shape for the same agent, exactly until its uses run out', async () => {
    const { g, agent } = await setup();
    const rule = await always(g, agent, "UPDATE items SET status = 'std-a' WHERE id = 1", { maxUses: 2 });
    expect(rule).toMatchObject({ agentId: agent.id, kind: 'sql', maxUses: 2, uses: 0, createdBy: 'rita' });
    expect(await statusOf(1)).toBe('std-a');

    // other literals, same fingerprint: executed at once, by the rule
    const first = await ask(g, agent, "UPDATE items SET status = 'std-b' WHERE id = 2");
    expect(first.status).toBe('executed');
    expect(await statusOf(2)).toBe('std-b');
    const made = await g.getApproval((first as { approvalId: string }).approvalId);
    expect(made).toMatchObject({ status: 'executed', standingId: rule.id, approvals: [{ reviewer: `standing:${rule.id}` }] });
    expect((await ask(g, agent, "UPDATE items SET status = 'std-c' WHERE id = 3")).status).toBe('executed');

    // used up: the next one waits for a reviewer again, and so does another shape
    const third = pendingId(await ask(g, agent, "UPDATE items SET status = 'std-d' WHERE id = 4"));
    expect(await statusOf(4)).not.toBe('std-d');
    pendingId(await ask(g, agent, 'UPDATE items SET total = 5 WHERE id = 1'));
    expect((await g.getApproval(third)).standingId).toBeNull();

    expect(await g.listStanding()).toEqual([]);
    const [listed] = await g.listStanding({ all: true });
    expect(listed).toMatchObject({ id: rule.id, uses: 2, maxUses: 2 });

    await g.audit.flush();
    const events = await g.listAudit({ type: 'standing.used', order: 'asc' });
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.data.standing === rule.id && e.agent === agent.name)).toBe(true);
    expect(events.map((e) => e.approval_id)).toContain(made.id);
    expect(await g.listAudit({ type: 'standing.created' })).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ standing: rule.id, reviewer: 'rita' }) }),
    ]);
  });

  it('never applies to another agent', async () => {
    const { g, agent } = await setup();
    await always(g, agent, "UPDATE items SET status = 'own-a' WHERE id = 5");
    const other = await newAgent(g);
    pendingId(await ask(g, other, "UPDATE items SET status = 'own-b' WHERE id = 6"));
    expect(await statusOf(6)).not.toBe('own-b');
    expect((await ask(g, agent, "UPDATE items SET status = 'own-c' WHERE id = 6")).status).toBe('executed');
  });

  it('matches another literal only when its condition holds (literals, params, rows_affected)', async () => {
    const { g, agent } = await setup();
    await always(g, agent, 'UPDATE items SET total = 10 WHERE id = 7', { condition: 'literals[0] <= 100' });
    expect((await ask(g, agent, 'UPDATE items SET total = 99 WHERE id = 8')).status).toBe('executed');
    pendingId(await ask(g, agent, 'UPDATE items SET total = 5000 WHERE id = 8'));

    await always(
      g,
      agent,
      'UPDATE items SET total = $1 WHERE id = $2',
      { condition: 'int(params[0]) < 1000 && rows_affected == 1' },
      [1, 9],
    );
    expect((await ask(g, agent, 'UPDATE items SET total = $1 WHERE id = $2', [50, 9])).status).toBe('executed');
    pendingId(await ask(g, agent, 'UPDATE items SET total = $1 WHERE id = $2', [5000, 9]));
    pendingId(await ask(g, agent, 'UPDATE items SET total = $1 WHERE id = $2', [50, 424242])); // no row: rows_affected 0

    // a condition that does not compile is refused when the rule is made
    const id = pendingId(await ask(g, agent, "UPDATE items SET status = 'c' WHERE id = 10"));
    await expect(g.alwaysAllow(id, 'rita', { condition: 'params[0] <' })).rejects.toThrow(/not valid CEL/);
  });

  it('stops at its expiry and when revoked', async () => {
    const { g, agent } = await setup();
    const soon = await always(g, agent, "UPDATE items SET status = 'exp-a' WHERE id = 11", { expiresAt: Date.now() + 1500 });
    expect((await ask(g, agent, "UPDATE items SET status = 'exp-b' WHERE id = 12")).status).toBe('executed');
    await new Promise((r) => setTimeout(r, 1600));
    pendingId(await ask(g, agent, "UPDATE items SET status = 'exp-c' WHERE id = 12"));
    expect((await g.listStanding({ all: true })).find((s) => s.id === soon.id)).toMatchObject({ uses: 1 });

    const rule = await always(g, agent, 'UPDATE items SET total = 1 WHERE id = 13');
    expect((await ask(g, agent, 'UPDATE items SET total = 2 WHERE id = 13')).status).toBe('executed');
    const revoked = await g.revokeStanding(rule.id, 'sam');
    expect(revoked).toMatchObject({ revokedBy: 'sam', uses: 1 });
    pendingId(await ask(g, agent, 'UPDATE items SET total = 3 WHERE id = 13'));
    await expect(g.revokeStanding(rule.id, 'sam')).rejects.toThrow(/revoked by sam already/);
    await g.audit.flush();
    expect(await g.listAudit({ type: 'standing.revoked' })).toHaveLength(1);
  });

  it('never lifts a block, and never stands in for two reviewers', async () => {
    const spec = testConfig({ database: db.name });
    const g = await Gateway.open(spec.config, spec.opts);
    open.push(g);
    const agent = await newAgent(g);
    await always(g, agent, "UPDATE items SET status = 'blk-a' WHERE id = 14");
    // the same store behind a gateway whose policy now blocks writes to items
    const strict = testConfig({
      database: db.name,
      policy: { rules: [{ name: 'freeze-items', tables: ['items'], kinds: ['write'], tier: 'block' }] },
    });
    const g2 = await Gateway.open({ ...strict.config, store: spec.config.store }, spec.opts);
    open.push(g2);
    const blocked = await ask(g2, agent, "UPDATE items SET status = 'blk-b' WHERE id = 15");
    expect(blocked.status).toBe('blocked');
    expect(await statusOf(15)).not.toBe('blk-b');

    const dual = await setup({ approvals: { requiredApprovals: 2 } });
    const id = pendingId(await ask(dual.g, dual.agent, "UPDATE items SET status = 'two' WHERE id = 16"));
    await expect(dual.g.alwaysAllow(id, 'rita')).rejects.toThrow(/needs 2 reviewers/);
    await expect(dual.g.alwaysAllow(id, dual.agent.name)).rejects.toThrow();
  });

  it('refuses self-approval, denied approvals and reverts as sources', async () => {
    const { g, agent } = await setup();
    const id = pendingId(await ask(g, agent, "UPDATE items SET status = 'self' WHERE id = 17"));
    await expect(g.alwaysAllow(id, agent.name)).rejects.toThrow(/no self-approval/);
    await g.deny(id, 'rita');
    await expect(g.alwaysAllow(id, 'rita')).rejects.toThrow(/was denied/);
    await expect(g.alwaysAllow('not-a-uuid', 'rita')).rejects.toThrow(/malformed approval id/);
  });
});

describe('standing approvals shared by two gateways', () => {
  /** two gateways on one PostgreSQL store, each with its own queue, and an agent */
  async function twoGateways() {
    const spec = testConfig({ database: db.name, store: 'postgres' });
    const a = await Gateway.open(spec.config, spec.opts);
    open.push(a);
    const b = await Gateway.open(spec.config, { ...spec.opts, queueName: `${spec.opts.queueName}-b` });
    open.push(b);
    return { a, b, agent: await newAgent(a) };
  }

  it('concurrent uses never exceed the maximum', async () => {
    const { a, b, agent } = await twoGateways();
    const rule = await always(a, agent, 'UPDATE items SET status = $1 WHERE id = $2', { maxUses: 3 }, ['race-0', 1]);
    const outs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        // a row each: two uses on one row could drift each other (the second's preview is stale)
        ask(i % 2 ? a : b, agent, 'UPDATE items SET status = $1 WHERE id = $2', [`race-${i + 1}`, 60 + i]),
      ),
    );
    // compared whole, so that a failure shows what the other requests got (and why, for an error)
    const got = outs.map((o) => (o.status === 'error' ? `error ${o.error.code} ${o.error.message}` : o.status)).sort();
    expect(got).toEqual([...Array<string>(3).fill('executed'), ...Array<string>(9).fill('pending')]);
    const [after] = await a.listStanding({ all: true });
    expect(after).toMatchObject({ id: rule.id, uses: 3 });
  });

  it('a request approved by a standing approval gets its result when another gateway runs it first', async () => {
    const { a, b, agent } = await twoGateways();
    await always(a, agent, 'UPDATE items SET total = $1 WHERE id = $2', {}, [1, 90]);
    // what a sweeper does: right after gateway a read its new approval, gateway b's queue worker claims it
    const get = a.store.getApproval.bind(a.store);
    let taken = '';
    a.store.getApproval = async (id) => {
      const rec = await get(id);
      if (!taken && rec?.status === 'approved' && rec.standingId) {
        taken = id;
        void b.approvals.execute(id);
        while ((await get(id))?.status === 'approved') await new Promise((r) => setTimeout(r, 5));
      }
      return rec;
    };
    const out = await ask(a, agent, 'UPDATE items SET total = $1 WHERE id = $2', [2, 91]);
    expect(taken).not.toBe('');
    expect(out).toMatchObject({ status: 'executed', approvalId: taken, result: { rowCount: 1 } });
    expect((await db.admin.query('SELECT total FROM items WHERE id = 91')).rows[0].total).toBe(2);
  });
});

describe('standing approvals of API methods', () => {
  it('approve the same integration and method for the same agent, when the arguments fit, never for two reviewers', async () => {
    const upstream = await startFakeUpstream();
    try {
      const spec = await fakepayTestConfig(db.name, upstream, 'sk_test_standing');
      const g = await Gateway.open(spec.config, spec.opts);
      open.push(g);
      const agent = await newAgent(g);
      const refund = (amount: number, who = agent) =>
        g.callApi({ agent: who, door: 'api', integration: 'fakepay', method: 'create_refund', args: { charge: 'ch_1', amount } });

      const first = await refund(500);
      if (first.status !== 'pending') throw new Error(`expected pending, got ${first.status}`);
      const rule = await g.alwaysAllow(first.approvalId, 'rita', { condition: 'args.amount <= 1000', maxUses: 5 });
      expect(rule).toMatchObject({ kind: 'api', database: 'fakepay', match: 'create_refund' });
      expect((await g.awaitOutcome(first.approvalId, 15_000)).status).toBe('executed');

      const sentBefore = upstream.received.length;
      const again = await refund(700);
      expect(again.status).toBe('done');
      expect(upstream.received.length).toBe(sentBefore + 1);
      const over = await refund(5000); // condition false
      if (over.status !== 'pending') throw new Error(`expected pending, got ${over.status}`);
      expect((await refund(700, await newAgent(g))).status).toBe('pending'); // another agent
      expect((await g.listStanding())[0]).toMatchObject({ id: rule.id, uses: 1 });

      // without a condition: any refund of this agent, except those the method asks two reviewers for
      await g.revokeStanding(rule.id, 'rita');
      const open2 = await g.alwaysAllow(over.approvalId, 'rita');
      expect((await g.awaitOutcome(over.approvalId, 15_000)).status).toBe('executed');
      expect((await refund(3000)).status).toBe('done');
      const big = await refund(20_000);
      expect(big.status).toBe('pending');
      if (big.status === 'pending') expect((await g.getApproval(big.approvalId)).requiredApprovals).toBe(2);
      expect((await g.listStanding())[0]).toMatchObject({ id: open2.id, uses: 1, condition: null });
    } finally {
      await upstream.close();
    }
  });
});
