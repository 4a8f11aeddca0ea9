// Reverting an approved write (issue 16 item 6) on the real PostgreSQL: an executed UPDATE keeps the
// before-image of the rows it changed and an INSERT the keys it inserted; a reviewer's revert is a
// new approval that restores them, runs through the execution spine exactly once, and refuses
// (changing nothing) when the rows were modified since the original execution left them.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { createFixtureDb, stateChecksum, type FixtureDb } from '../approvals/preview-db.js';
import { openTestGateway } from '../helpers/gateway.js';
import type { Gateway } from '../../src/gateway/gateway.js';

let db: FixtureDb;
let gw: Gateway | undefined;
beforeAll(async () => {
  db = await createFixtureDb(
    'revert',
    `CREATE TABLE stock (sku text, wh int, qty int NOT NULL, note text, seen timestamp, tags text[], doc jsonb, PRIMARY KEY (sku, wh));
     INSERT INTO stock SELECT 'sku-' || g, g % 3, g * 10, 'n' || g, timestamp '2024-01-02 03:04:05.678' + g * interval '1 day',
                              ARRAY['a', 'b' || g], jsonb_build_object('g', g, 'big', 12345678901234567890)
       FROM generate_series(1, 40) g;
     CREATE TABLE parent (id int PRIMARY KEY, name text);
     CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE CASCADE);
     CREATE TABLE plain (note text, qty int);
     INSERT INTO plain VALUES ('x', 1), ('y', 2);`,
  );
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

async function setup() {
  gw = await openTestGateway({ database: db.name });
  const { agent } = await gw.createAgent(`agent-${Math.random().toString(36).slice(2, 8)}`);
  return { g: gw, agent: { id: agent.id, name: agent.name } };
}

/** Hold, approve and wait: the executed approval's id. */
async function executed(g: Gateway, agent: { id: string; name: string }, sql: string, params?: unknown[]) {
  const out = await g.query({ agent, door: 'api', database: db.name, sql, params });
  if (out.status !== 'pending') throw new Error(`expected pending, got ${out.status}`);
  await g.approve(out.approvalId, 'rita');
  const done = await g.awaitOutcome(out.approvalId, 15_000);
  if (done.status !== 'executed') throw new Error(`expected executed, got ${JSON.stringify(done)}`);
  return out.approvalId;
}

/** A revert asked for by `sam`, waited for until it is final. */
async function reverted(g: Gateway, id: string) {
  const revert = await g.revertApproval(id, 'sam', 'undo it');
  expect(revert).toMatchObject({ revertOf: id, status: 'approved', approvals: [{ reviewer: 'sam' }] });
  await g.awaitOutcome(revert.id, 15_000);
  return g.getApproval(revert.id);
}

const rows = async (where: string) =>
  (await db.admin.query(`SELECT sku, wh, qty, note, seen::text, tags::text, doc::text FROM stock WHERE ${where} ORDER BY sku, wh`)).rows;

describe('revert an approved write', () => {
  it('restores the rows an UPDATE changed, exactly (timestamps, arrays, jsonb, big numbers)', async () => {
    const { g, agent } = await setup();
    const before = await stateChecksum(db.admin);
    const original = await rows("sku IN ('sku-1', 'sku-2', 'sku-3')");
    const id = await executed(
      g,
      agent,
      "UPDATE stock SET qty = qty + 1000, note = 'bulk', seen = now(), tags = '{}', doc = '{}' WHERE sku IN ('sku-1', 'sku-2', 'sku-3')",
    );
    expect((await rows("sku IN ('sku-1', 'sku-2', 'sku-3')")).map((r) => r.note)).toEqual(['bulk', 'bulk', 'bulk']);
    const revert = await reverted(g, id);
    expect(revert.status).toBe('executed');
    expect((revert.result as { rowCount: number }).rowCount).toBe(3);
    expect(await rows("sku IN ('sku-1', 'sku-2', 'sku-3')")).toEqual(original);
    expect(await stateChecksum(db.admin)).toEqual(before);

    await g.audit.flush();
    const requested = await g.listAudit({ type: 'revert.requested' });
    expect(requested).toEqual([
      expect.objectContaining({ approval_id: id, data: expect.objectContaining({ revert: revert.id, reviewer: 'sam' }) }),
    ]);
    const own = await g.listAudit({ approvalId: revert.id, order: 'asc' });
    expect(own.map((e) => e.type)).toEqual(expect.arrayContaining(['approval.created', 'approval.approved', 'execution.executed']));
    expect(own.every((e) => e.data.revertOf === id)).toBe(true);
    // one revert per approval
    await expect(g.revertApproval(id, 'sam')).rejects.toThrow(/has a revert already/);
  });

  it('deletes the rows an INSERT added', async () => {
    const { g, agent } = await setup();
    const before = await stateChecksum(db.admin);
    const id = await executed(
      g,
      agent,
      "INSERT INTO stock (sku, wh, qty, seen) VALUES ('new-1', 1, 5, '2020-02-02 02:02:02'), ('new-2', 2, 6, NULL)",
    );
    expect(await rows("sku LIKE 'new-%'")).toHaveLength(2);
    const revert = await reverted(g, id);
    expect(revert.status).toBe('executed');
    expect(revert.sql).toMatch(/^DELETE FROM "public"\."stock"/);
    expect(await rows("sku LIKE 'new-%'")).toEqual([]);
    expect(await stateChecksum(db.admin)).toEqual(before);
  });

  it('refuses, changing nothing, when a row was modified since the UPDATE', async () => {
    const { g, agent } = await setup();
    const id = await executed(g, agent, "UPDATE stock SET qty = 0 WHERE sku IN ('sku-10', 'sku-11')");
    await db.admin.query("UPDATE stock SET note = 'touched' WHERE sku = 'sku-11'");
    const now = await rows("sku IN ('sku-10', 'sku-11')");
    const revert = await reverted(g, id);
    expect(revert.status).toBe('drifted');
    expect(revert.error).toMatch(/modified since/);
    expect(await rows("sku IN ('sku-10', 'sku-11')")).toEqual(now);
  });

  it('refuses, changing nothing, when an inserted row was modified or is gone', async () => {
    const { g, agent } = await setup();
    const id = await executed(g, agent, "INSERT INTO stock (sku, wh, qty) VALUES ('ins-1', 1, 1), ('ins-2', 1, 2)");
    await db.admin.query("UPDATE stock SET qty = 99 WHERE sku = 'ins-2'");
    const revert = await reverted(g, id);
    expect(revert.status).toBe('drifted');
    expect(await rows("sku LIKE 'ins-%'")).toHaveLength(2);

    const id2 = await executed(g, agent, "INSERT INTO stock (sku, wh, qty) VALUES ('ins-3', 1, 1), ('ins-4', 1, 2)");
    await db.admin.query("DELETE FROM stock WHERE sku = 'ins-4'");
    expect((await reverted(g, id2)).status).toBe('drifted');
    expect(await rows("sku = 'ins-3'")).toHaveLength(1);
  });

  it('refuses tables without a primary key, and what is not an executed UPDATE or INSERT', async () => {
    const { g, agent } = await setup();
    const id = await executed(g, agent, 'UPDATE plain SET qty = 10');
    await expect(g.revertApproval(id, 'sam')).rejects.toThrow(/plain has no primary key/);
    const pending = await g.query({ agent, door: 'api', database: db.name, sql: "UPDATE stock SET qty = 1 WHERE sku = 'sku-20'" });
    if (pending.status !== 'pending') throw new Error('expected pending');
    await expect(g.revertApproval(pending.approvalId, 'sam')).rejects.toThrow(/is pending: only an executed write can be reverted/);
    const merge = await executed(g, agent, "UPDATE stock SET sku = 'renamed' WHERE sku = 'sku-21'");
    await expect(g.revertApproval(merge, 'sam')).rejects.toThrow(/changes the primary key/);
    // deleting inserted rows that others may reference by ON DELETE CASCADE could delete those too
    const parent = await executed(g, agent, "INSERT INTO parent VALUES (1, 'p')");
    await expect(g.revertApproval(parent, 'sam')).rejects.toThrow(/child reference public\.parent with ON DELETE CASCADE/);
    // a revert cannot become a standing approval
    const upd = await executed(g, agent, "UPDATE stock SET qty = 7 WHERE sku = 'sku-22'");
    const revert = await reverted(g, upd);
    await expect(g.alwaysAllow(revert.id, 'rita')).rejects.toThrow(/is a revert/);
    // the revert itself can be reverted (a redo)
    const redo = await reverted(g, revert.id);
    expect(redo.status).toBe('executed');
    expect((await rows("sku = 'sku-22'"))[0].qty).toBe(7);
  });

  it('an INSERT whose RETURNING hides the key cannot point a revert at other rows', async () => {
    const { g, agent } = await setup();
    // RETURNING names another row's key: the capture checks the rows were written by this transaction
    const id = await executed(g, agent, "INSERT INTO stock (sku, wh, qty) VALUES ('spoof', 1, 1) RETURNING 'sku-30' AS sku, 0 AS wh");
    await expect(g.revertApproval(id, 'sam')).rejects.toThrow(/could not all be found again/);
    expect(await rows("sku = 'sku-30'")).toHaveLength(1);
  });
});
