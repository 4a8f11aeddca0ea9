// An error Airlock answers itself inside a transaction block leaves the block as a PostgreSQL error
// would: aborted (ReadyForQuery `E`), later statements refused with 25P02 until ROLLBACK, COMMIT
// answered as ROLLBACK, and ROLLBACK TO SAVEPOINT recovers. Checked with node-pg (simple and
// extended protocol) and psql, on blocked statements and on a held one that times out.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ABORT_BLOCK } from '../../src/wire/session-upstream.js';
import { createDatabase, dropDatabase, psqlDirect, startProxy, type Proxy } from './helpers/proxy.js';

let proxy: Proxy;
let db: string;

beforeAll(async () => {
  db = await createDatabase('wire_txblock');
  psqlDirect(db, ['-c', "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'one')"]);
  proxy = await startProxy({ database: db, config: { approvalWaitSeconds: 1 } });
});

afterAll(async () => {
  await proxy?.close();
  if (db) await dropDatabase(db);
});

async function withClient(fn: (c: pg.Client) => Promise<void>): Promise<void> {
  const c = new pg.Client(proxy.url());
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  );

describe('an error Airlock answers inside a transaction block', () => {
  it('aborts the block: 25P02 until the end, COMMIT rolls back what the block did (simple protocol)', async () => {
    await withClient(async (c) => {
      const before = (await c.query('SHOW application_name')).rows[0].application_name;
      await c.query('BEGIN');
      await c.query("SET application_name = 'set_in_block'");
      expect(await codeOf(c.query('DELETE FROM notes'))).toBe('42501');
      expect(await codeOf(c.query('SELECT 1'))).toBe('25P02');
      const end = await c.query('COMMIT');
      expect(end.command).toBe('ROLLBACK');
      // the SET was undone with the block, as PostgreSQL undoes everything of a failed block
      expect((await c.query('SHOW application_name')).rows[0].application_name).toBe(before);
      expect((await c.query('SELECT body FROM notes')).rows).toEqual([{ body: 'one' }]);
    });
  });

  it('extended protocol: a blocked statement with parameters aborts the block the same way', async () => {
    await withClient(async (c) => {
      await c.query('BEGIN');
      expect((await c.query('SELECT body FROM notes WHERE id = $1', [1])).rows).toEqual([{ body: 'one' }]);
      expect(await codeOf(c.query('DELETE FROM notes WHERE id = $1', [1]))).toBe('42501');
      expect(await codeOf(c.query('SELECT body FROM notes WHERE id = $1', [1]))).toBe('25P02');
      expect((await c.query('COMMIT')).command).toBe('ROLLBACK');
      expect((await c.query('SELECT count(*)::int AS n FROM notes WHERE id = $1', [1])).rows).toEqual([{ n: 1 }]);
    });
  });

  it('ROLLBACK TO SAVEPOINT recovers the block, as in PostgreSQL', async () => {
    await withClient(async (c) => {
      await c.query('BEGIN');
      await c.query('SAVEPOINT before_drop');
      expect(await codeOf(c.query('DROP TABLE notes'))).toBe('42501');
      await c.query('ROLLBACK TO SAVEPOINT before_drop');
      expect((await c.query('SELECT 7 AS n')).rows).toEqual([{ n: 7 }]);
      expect((await c.query('COMMIT')).command).toBe('COMMIT');
    });
  });

  it('a held statement not decided in time aborts the block too', async () => {
    await withClient(async (c) => {
      await c.query('BEGIN');
      expect(await codeOf(c.query("UPDATE notes SET body = 'held' WHERE id = 1"))).toBe('57014');
      expect(await codeOf(c.query('SELECT 1'))).toBe('25P02');
      await c.query('ROLLBACK');
      expect((await c.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    });
  });

  it('outside a block an error changes nothing: the session goes on', async () => {
    await withClient(async (c) => {
      expect(await codeOf(c.query('DELETE FROM notes'))).toBe('42501');
      expect((await c.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
      const warned: string[] = [];
      c.on('notice', (n) => warned.push(n.message ?? ''));
      await c.query('COMMIT');
      expect(warned.join()).toMatch(/no transaction in progress/);
    });
  });

  it('psql sees the aborted state and COMMIT answered as ROLLBACK', async () => {
    const { stdout, stderr } = await promisify(execFile)('psql', [
      proxy.url(),
      '-X',
      '-c',
      'BEGIN',
      '-c',
      'DROP TABLE notes',
      '-c',
      'SELECT 1',
      '-c',
      'COMMIT',
    ]);
    expect(stdout.trim().split('\n')).toEqual(['BEGIN', 'ROLLBACK']);
    expect(stderr).toMatch(/Airlock blocked this statement[\s\S]*current transaction is aborted/);
    // the proxy's own statement that aborted the block never shows to the client
    expect(stdout + stderr).not.toContain(ABORT_BLOCK);
  });
});
