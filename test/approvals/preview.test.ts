// Previews against a real PostgreSQL: counts, written rows, before-images, caps, digests, errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { preview } from '../../src/approvals/preview.js';
import { digestRows } from '../../src/approvals/digest.js';
import { AirlockError } from '../../src/errors.js';
import { createFixtureDb, stateChecksum, type FixtureDb } from './preview-db.js';
import { DATABASE_URL } from '../helpers/env.js';

let db: FixtureDb;

beforeAll(async () => {
  db = await createFixtureDb(
    'pv',
    `
    CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL);
    INSERT INTO big SELECT g, g FROM generate_series(1, 10000) g;
    CREATE TABLE nokey (a int, b text);
    INSERT INTO nokey VALUES (1, 'x'), (2, 'y');
  `,
  );
});
afterAll(async () => db?.drop());

const run = (sql: string, extra: Record<string, unknown> = {}) =>
  preview(db.pools, { database: db.name, sql, rowLimit: 50, timeoutMs: 5000, ...extra });

describe('preview of writes', () => {
  it('INSERT with explicit keys: exact rows, count and digest, nothing kept', async () => {
    const before = await stateChecksum(db.admin);
    const p = await run("INSERT INTO accounts (id, owner, balance) VALUES (100, 'eve', 10.5), (101, 'frank', 20)");
    expect(p.available).toBe(true);
    expect(p.affectedRows).toBe(2);
    expect(p.rows).toEqual([
      { id: '100', owner: 'eve', balance: '10.5' },
      { id: '101', owner: 'frank', balance: '20' },
    ]);
    expect(p.truncated).toBe(false);
    expect(p.digest).toBe(digestRows(p.rows!));
    expect(await stateChecksum(db.admin)).toEqual(before);
  });

  it('UPDATE: new rows paired with before-images by primary key', async () => {
    const p = await run("UPDATE orders SET status = 'closed', total = total * 2 WHERE status = 'open'");
    expect(p.available).toBe(true);
    expect(p.affectedRows).toBe(2);
    expect(p.rows!.map((r) => r.id)).toEqual(p.before!.map((r) => r.id));
    const byId = Object.fromEntries(p.before!.map((b) => [b.id, b]));
    for (const r of p.rows!) {
      expect(r.status).toBe('closed');
      expect(byId[r.id as string].status).toBe('open');
      expect(Number(r.total)).toBeCloseTo(Number(byId[r.id as string].total) * 2);
    }
    const still = await db.admin.query("SELECT count(*)::int AS n FROM orders WHERE status = 'open'");
    expect(still.rows[0].n).toBe(2);
  });

  it('UPDATE … FROM with parameters, aliases and RETURNING * of the target only', async () => {
    const p = await run('UPDATE orders o SET status = $1 FROM accounts a WHERE a.id = o.account_id AND a.balance > $2', {
      params: ['vip', 1000],
    });
    expect(p.available).toBe(true);
    expect(p.affectedRows).toBe(4); // alice (2 orders) and carol (2 orders)
    expect(Object.keys(p.rows![0]).sort()).toEqual(['account_id', 'id', 'status', 'total']);
    expect(p.before).toHaveLength(4);
    expect(p.before!.every((b) => b.status !== 'vip')).toBe(true);
  });

  it('keeps the agent RETURNING list when there is one', async () => {
    const p = await run("UPDATE orders SET status = 'x' WHERE id = 2 RETURNING id, status AS s");
    expect(p.rows).toEqual([{ id: '2', s: 'x' }]);
    expect(p.before).toEqual([{ id: '2', account_id: '1', total: '80', status: 'paid' }]);
  });

  it('a 10,000-row UPDATE keeps 50 rows, 50 before-images and the exact count', async () => {
    const started = performance.now();
    const p = await run('UPDATE big SET v = v + 1');
    const ms = performance.now() - started;
    expect(p.affectedRows).toBe(10_000);
    expect(p.rows).toHaveLength(50);
    expect(p.before).toHaveLength(50);
    expect(p.truncated).toBe(true);
    p.rows!.forEach((r, i) => {
      expect(r.id).toBe(p.before![i].id);
      expect(Number(r.v)).toBe(Number(p.before![i].v) + 1);
    });
    expect(p.digest).toMatch(/^[0-9a-f]{64}$/);
    // the digest covers all 10,000 rows: the same update previewed again gives the same digest
    expect((await run('UPDATE big SET v = v + 1')).digest).toBe(p.digest);
    expect((await run('UPDATE big SET v = v + 1 WHERE id > 1')).digest).not.toBe(p.digest);
    const sum = await db.admin.query('SELECT sum(v)::int8 AS s FROM big');
    expect(sum.rows[0].s).toBe(String((10_000 * 10_001) / 2));
    expect(ms).toBeLessThan(5000);
  });

  it('a table without primary key: rows and before-images, unpaired', async () => {
    const p = await run("UPDATE nokey SET b = b || '!'");
    expect(p.affectedRows).toBe(2);
    expect(p.before!.map((r) => r.b).sort()).toEqual(['x', 'y']);
    expect(p.rows!.map((r) => r.b).sort()).toEqual(['x!', 'y!']);
  });

  it('DELETE previews the rows it would remove', async () => {
    const p = await run("DELETE FROM audit_log WHERE note = 'second note'");
    expect(p.affectedRows).toBe(1);
    expect(p.rows![0].note).toBe('second note');
  });

  it('MERGE without serial defaults: exact count, no digest (no RETURNING before PG17)', async () => {
    const p = await run('MERGE INTO orders o USING (VALUES (1, 7)) v(id, t) ON o.id = v.id WHEN MATCHED THEN UPDATE SET total = v.t');
    expect(p).toMatchObject({ available: true, affectedRows: 1 });
    expect(p.digest).toBeUndefined();
  });

  it('clock-dependent rows get no digest (execution compares counts)', async () => {
    const p = await run('UPDATE orders SET status = now()::text WHERE id = 1');
    expect(p.available).toBe(true);
    expect(p.digest).toBeUndefined();
  });

  it('statement errors and timeouts become reasons; nothing is left behind', async () => {
    const dup = await run("INSERT INTO accounts (id, owner) VALUES (1, 'dup')");
    expect(dup.available).toBe(false);
    expect(dup.reason).toMatch(/^preview unavailable: statement failed \(SQLSTATE 23505\)/);
    const locker = new pg.Client({ connectionString: DATABASE_URL.replace(/\/[^/]*$/, `/${db.name}`) });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT * FROM orders WHERE id = 3 FOR UPDATE');
    const slow = await run("UPDATE orders SET status = 'x' WHERE id = 3", { timeoutMs: 300 });
    await locker.query('ROLLBACK');
    await locker.end();
    expect(slow.reason).toBe('preview unavailable: statement did not finish within 300 ms');
    expect((await run('UPDATE orders SET')).reason).toMatch(/^preview unavailable: does not parse/);
    const params = await run('UPDATE orders SET status = $1 WHERE id = $2', { params: ['x'] });
    expect(params.reason).toMatch(/SQLSTATE 08P01/);
    expect((await run('UPDATE orders SET total = 1 WHERE id = 1')).available).toBe(true);
  });

  it('bad input is a clear error, not a crash', async () => {
    await expect(run('UPDATE orders SET total = 1', { rowLimit: -1 })).rejects.toMatchObject({ code: '22023' });
    await expect(preview(db.pools, { database: '', sql: 'x' } as never)).rejects.toBeInstanceOf(AirlockError);
    await expect(preview(db.pools, { database: `${db.name}_missing`, sql: 'UPDATE orders SET total = 1' })).rejects.toMatchObject({
      code: '3D000',
    });
  });
});
