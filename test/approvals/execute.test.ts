// Execution after approval against a real PostgreSQL: commit on match, drift rollback,
// exactly once under concurrency, statements that refuse transaction blocks, failures.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preview } from '../../src/approvals/preview.js';
import { executeApproved, wasExecuted } from '../../src/approvals/execute.js';
import { createFixtureDb, type FixtureDb } from './preview-db.js';

let db: FixtureDb;

beforeAll(async () => {
  db = await createFixtureDb(
    'ex',
    `
    CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL);
    INSERT INTO big SELECT g, g FROM generate_series(1, 10000) g;
  `,
  );
});
afterAll(async () => db?.drop());

const look = async (sql: string) => (await db.admin.query(sql)).rows;
const approve = async (sql: string, params: unknown[] = []) => {
  const p = await preview(db.pools, { database: db.name, sql, params });
  expect(p.available, p.reason).toBe(true);
  return { affectedRows: p.affectedRows!, digest: p.digest };
};
const exec = (sql: string, expected: { affectedRows: number; digest?: string } | undefined, extra: Record<string, unknown> = {}) =>
  executeApproved(db.pools, { approvalId: randomUUID(), database: db.name, sql, expected, tolerance: 0, ...extra });

describe('executeApproved', () => {
  it('executes once, commits, and a second run of the same id is already-executed', async () => {
    const sql = 'UPDATE orders SET total = total + 1 WHERE id = 1';
    const expected = await approve(sql);
    const approvalId = randomUUID();
    expect(await wasExecuted(db.pools, db.name, approvalId)).toBe(false);
    const first = await executeApproved(db.pools, { approvalId, database: db.name, sql, expected, tolerance: 0 });
    expect(first).toMatchObject({ status: 'executed', actual: expected });
    if (first.status === 'executed') expect(first.result).toMatchObject({ command: 'UPDATE', rowCount: 1, rows: [], fields: [] });
    expect(await look('SELECT total::text AS t FROM orders WHERE id = 1')).toEqual([{ t: '121.50' }]);
    expect(await wasExecuted(db.pools, db.name, approvalId)).toBe(true);
    const second = await executeApproved(db.pools, { approvalId, database: db.name, sql, expected, tolerance: 0 });
    expect(second).toEqual({ status: 'already-executed' });
    expect(await look('SELECT total::text AS t FROM orders WHERE id = 1')).toEqual([{ t: '121.50' }]);
  });

  it('the digest of a 10,000-row UPDATE matches between preview and execution', async () => {
    const sql = 'UPDATE big SET v = v * 2 WHERE id % 2 = 0';
    const expected = await approve(sql);
    expect(expected.affectedRows).toBe(5000);
    const out = await exec(sql, expected);
    expect(out).toMatchObject({ status: 'executed', actual: expected });
    expect(await look('SELECT v FROM big WHERE id = 10')).toEqual([{ v: 20 }]);
  });

  it('drift in count: rows added since the preview → drifted, nothing committed', async () => {
    const sql = "UPDATE orders SET status = 'done' WHERE status = 'open'";
    const expected = await approve(sql);
    await db.admin.query("INSERT INTO orders (id, account_id, total, status) VALUES (50, 2, 1, 'open')");
    const approvalId = randomUUID();
    const out = await executeApproved(db.pools, { approvalId, database: db.name, sql, expected, tolerance: 0 });
    expect(out).toMatchObject({ status: 'drifted', actual: { affectedRows: 3 }, expected: { affectedRows: 2 } });
    expect(await look("SELECT count(*)::int AS n FROM orders WHERE status = 'done'")).toEqual([{ n: 0 }]);
    expect(await wasExecuted(db.pools, db.name, approvalId)).toBe(false);
  });

  it('drift in content with the same count → drifted at tolerance 0, executed with tolerance', async () => {
    const sql = "UPDATE orders SET status = 'settled' WHERE status = 'paid'";
    const expected = await approve(sql);
    await db.admin.query("UPDATE orders SET total = total + 5 WHERE status = 'paid' AND id = 2");
    expect(await exec(sql, expected)).toMatchObject({ status: 'drifted', actual: { affectedRows: expected.affectedRows } });
    expect(await look("SELECT count(*)::int AS n FROM orders WHERE status = 'settled'")).toEqual([{ n: 0 }]);
    expect(await exec(sql, expected, { tolerance: 1 })).toMatchObject({ status: 'executed' });
    expect(await look("SELECT count(*)::int AS n FROM orders WHERE status = 'settled'")).toEqual([{ n: expected.affectedRows }]);
  });

  it('two concurrent executions of the same id: one executed, one already-executed', async () => {
    const sql = 'UPDATE big SET v = v + 1 WHERE id <= 3000';
    const expected = await approve(sql);
    const before = await look('SELECT sum(v)::int8 AS s FROM big');
    const approvalId = randomUUID();
    const runs = await Promise.all(
      [1, 2, 3].map(() => executeApproved(db.pools, { approvalId, database: db.name, sql, expected, tolerance: 0 })),
    );
    expect(runs.map((r) => r.status).sort()).toEqual(['already-executed', 'already-executed', 'executed']);
    const after = await look('SELECT sum(v)::int8 AS s FROM big');
    expect(BigInt(after[0].s) - BigInt(before[0].s)).toBe(3000n);
  });

  it('agent RETURNING rows come back; our added RETURNING does not', async () => {
    const out = await exec("INSERT INTO audit_log (id, note) VALUES (500, 'r') RETURNING id, note", undefined, { rowLimit: 10 });
    expect(out).toMatchObject({ status: 'executed', result: { command: 'INSERT', rowCount: 1, rows: [{ id: '500', note: 'r' }] } });
  });

  it('without a preview (unavailable) it executes without comparison, sequences included', async () => {
    const out = await exec("INSERT INTO accounts (owner, balance) VALUES ('eve', 100)", undefined);
    expect(out).toMatchObject({ status: 'executed', actual: { affectedRows: 1 } });
    expect(await look("SELECT count(*)::int AS n FROM accounts WHERE owner = 'eve'")).toEqual([{ n: 1 }]);
  });

  it('statements that refuse transaction blocks run once under a committed claim', async () => {
    const approvalId = randomUUID();
    const first = await executeApproved(db.pools, { approvalId, database: db.name, sql: 'VACUUM orders', tolerance: 0 });
    expect(first).toMatchObject({ status: 'executed', result: { command: 'VACUUM' } });
    expect(await executeApproved(db.pools, { approvalId, database: db.name, sql: 'VACUUM orders', tolerance: 0 })).toEqual({
      status: 'already-executed',
    });
  });

  it('one explicit transaction (BEGIN; …; COMMIT) runs inside ours', async () => {
    const out = await exec(
      "BEGIN ISOLATION LEVEL REPEATABLE READ; LOCK TABLE orders; UPDATE orders SET status = 'locked' WHERE id = 6; COMMIT",
      undefined,
    );
    expect(out).toMatchObject({ status: 'executed', result: { command: 'UPDATE', rowCount: 1 } });
    expect(await look('SELECT status FROM orders WHERE id = 6')).toEqual([{ status: 'locked' }]);
  });

  it('failures roll back the marker and are reported with their SQLSTATE', async () => {
    const approvalId = randomUUID();
    const out = await executeApproved(db.pools, {
      approvalId,
      database: db.name,
      sql: "INSERT INTO accounts (id, owner) VALUES (1, 'dup')",
      tolerance: 0,
    });
    expect(out).toMatchObject({ status: 'failed', code: '23505' });
    expect(await wasExecuted(db.pools, db.name, approvalId)).toBe(false);
    expect(await exec('COMMIT; DROP TABLE orders', undefined)).toMatchObject({ status: 'failed', code: '0A000' });
    expect(await exec('UPDATE orders SET', undefined)).toMatchObject({ status: 'failed', error: expect.stringMatching(/does not parse/) });
    await expect(executeApproved(db.pools, { approvalId: '', database: db.name, sql: 'x' } as never)).rejects.toMatchObject({
      code: '22023',
    });
  });
});
