// Issue 11, item 4: execution holds the rows an UPDATE changes against the before-image the
// reviewer saw (all of them, and their count), not only against the result, which looks the same
// whatever was overwritten (`SET balance = 0`).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureDb, type FixtureDb } from './preview-db.js';
import { openTestGateway } from '../helpers/gateway.js';
import type { Gateway } from '../../src/gateway/gateway.js';

let db: FixtureDb;
let gw: Gateway | undefined;
beforeAll(async () => {
  db = await createFixtureDb(
    'drift',
    'CREATE TABLE accounts2 (id int PRIMARY KEY, owner text, balance bigint); INSERT INTO accounts2 SELECT g, $$o$$ || g, g * 100 + 1 FROM generate_series(1, 20) g;',
  );
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

/** Hold the UPDATE, let `meanwhile` change the data behind Airlock's back, approve, and wait for the end state. */
async function heldThenApproved(sql: string, meanwhile: () => Promise<unknown>) {
  gw = await openTestGateway({ database: db.name });
  const { agent } = await gw.createAgent(`agent-${Math.random().toString(36).slice(2, 8)}`);
  const out = await gw.query({ agent: { id: agent.id, name: agent.name }, door: 'api', database: db.name, sql });
  if (out.status !== 'pending') throw new Error(`expected pending, got ${out.status}`);
  expect(out.preview).toMatchObject({
    available: true,
    beforeCount: expect.any(Number),
    beforeDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
  });
  await meanwhile();
  await gw.approve(out.approvalId, 'rita');
  const done = await gw.awaitOutcome(out.approvalId, 15_000);
  return { outcome: done, record: await gw.getApproval(out.approvalId), preview: out.preview };
}

const balance = async (id: number) => Number((await db.admin.query('SELECT balance FROM accounts2 WHERE id = $1', [id])).rows[0].balance);

describe('drift check on the before-image', () => {
  it('refuses to overwrite a row changed since the preview, though the result would look the same', async () => {
    const { record, preview } = await heldThenApproved('UPDATE accounts2 SET balance = 0 WHERE id = 9', () =>
      db.admin.query('UPDATE accounts2 SET balance = 1000000 WHERE id = 9'),
    );
    expect(preview.before).toEqual([expect.objectContaining({ balance: '901' })]);
    expect(record.status).toBe('drifted');
    expect(record.error).toMatch(/modified since the preview/);
    expect(await balance(9)).toBe(1_000_000);
    await gw!.audit.flush();
    const events = await gw!.listAudit({ approvalId: record.id, order: 'asc' });
    expect(events.map((e) => e.type)).toContain('execution.drifted');
  });

  it('executes when the rows are as the reviewer saw them', async () => {
    const { record } = await heldThenApproved('UPDATE accounts2 SET balance = 0 WHERE id = 10', async () => undefined);
    expect(record.status).toBe('executed');
    expect(await balance(10)).toBe(0);
  });

  it('drifts when a row joins or leaves the set the UPDATE would change', async () => {
    const joined = await heldThenApproved('UPDATE accounts2 SET owner = owner WHERE balance BETWEEN 1500 AND 1800', () =>
      db.admin.query('UPDATE accounts2 SET balance = 1650 WHERE id = 2'),
    );
    expect(joined.record.status).toBe('drifted');
    const left = await heldThenApproved('UPDATE accounts2 SET owner = owner WHERE balance BETWEEN 1500 AND 1800', () =>
      db.admin.query('UPDATE accounts2 SET balance = 5 WHERE id = 17'),
    );
    expect(left.record.status).toBe('drifted');
    expect(await balance(17)).toBe(5);
  });
});
