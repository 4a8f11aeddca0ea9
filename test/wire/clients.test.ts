// Client matrix, part 1: psql, node-postgres, postgres.js and pgbench against the proxy on a
// random port, upstream = the local PostgreSQL. Every statement goes through the real policy.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import postgres from 'postgres';
import { createDatabase, dropDatabase, psqlDirect, startProxy, type Proxy } from './helpers/proxy.js';

const run = promisify(execFile);
let proxy: Proxy;
let db: string;

beforeAll(async () => {
  execFileSync(new URL('../../scripts/install-test-deps.sh', import.meta.url).pathname);
  db = await createDatabase('wire_clients');
  psqlDirect(db, [
    '-c',
    "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g",
  ]);
  execFileSync('pgbench', ['-i', '-q', '-s', '1', `postgresql://root@127.0.0.1:5432/${db}`], { stdio: 'ignore' });
  proxy = await startProxy({ database: db, config: { approvalWaitSeconds: 1 } });
});

afterAll(async () => {
  await proxy?.close();
  if (db) await dropDatabase(db);
});

const psql = (args: string[], input?: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile('psql', ['-X', proxy.url(), ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });

describe('psql', () => {
  it('runs queries and -c with several statements', async () => {
    const r = await psql(['-At', '-c', 'SELECT count(*) FROM items; SELECT max(id) FROM items', '-c', 'SELECT 40 + 2']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['100', '100', '42']);
  });

  it('answers \\d and \\dt', async () => {
    const dt = await psql(['-c', '\\dt']);
    expect(dt.code).toBe(0);
    expect(dt.stdout).toMatch(/items/);
    const d = await psql(['-c', '\\d items']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/items_pkey/);
  });

  it('\\copy to stdout passes, \\copy from stdin is refused cleanly (0A000), nothing written', async () => {
    const out = await psql(['-c', '\\copy (SELECT id FROM items WHERE id <= 3 ORDER BY id) TO STDOUT']);
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split('\n')).toEqual(['1', '2', '3']);
    const into = await psql(['-c', '\\copy items FROM STDIN'], '1000\tx\n\\.\n');
    expect(into.code).not.toBe(0);
    expect(into.stderr).toMatch(/COPY FROM STDIN needs approval/);
    const count = psqlDirect(db, ['-At', '-c', 'SELECT count(*) FROM items']);
    expect(count.trim()).toBe('100');
  });

  it('refuses a DROP with 42501 and keeps the session usable', async () => {
    const r = await psql(['-v', 'ON_ERROR_STOP=0', '-At'], 'DROP TABLE items;\nSELECT 7;\n');
    expect(r.stderr).toMatch(/Airlock blocked this statement/);
    expect(r.stdout.trim()).toBe('7');
  });
});

describe('node-postgres', () => {
  it('runs parameters, named prepared statements and many queries in flight', async () => {
    const c = new pg.Client(proxy.url());
    await c.connect();
    try {
      expect((await c.query('SELECT $1::int + 1 AS n', [41])).rows).toEqual([{ n: 42 }]);
      for (let i = 0; i < 3; i++) {
        const r = await c.query({ name: 'by_id', text: 'SELECT name FROM items WHERE id = $1', values: [i + 1] });
        expect(r.rows[0].name).toBe(`item ${i + 1}`);
      }
      const all = await Promise.all(Array.from({ length: 200 }, (_, i) => c.query('SELECT $1::int AS i', [i])));
      expect(all.map((r) => r.rows[0].i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      await expect(c.query('DELETE FROM items WHERE id = $1', [1])).rejects.toMatchObject({ code: '42501' });
      expect((await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n).toBe(100);
    } finally {
      await c.end();
    }
  });

  it("keeps one agent's SET away from other clients (pinned session, reset on return)", async () => {
    const pool = new pg.Pool({ connectionString: proxy.url(), max: 4 });
    try {
      const a = await pool.connect();
      await a.query("SET application_name = 'leaky'");
      await a.query('SET search_path = pg_catalog');
      a.release(true);
      const seen = await Promise.all(
        Array.from({ length: 8 }, async () => (await pool.query('SELECT current_setting($1) AS v', ['search_path'])).rows[0].v),
      );
      for (const v of seen) expect(v).not.toBe('pg_catalog');
    } finally {
      await pool.end();
    }
  });
});

describe('postgres.js (pipelining, named statements)', () => {
  it('pipelines queries and gets policy errors as PostgreSQL errors', async () => {
    const sql = postgres(proxy.url(), { max: 1, onnotice: () => {} });
    try {
      const rows = await Promise.all(
        Array.from({ length: 100 }, (_, i) => sql`SELECT ${i}::int AS i, name FROM items WHERE id = ${i + 1}`),
      );
      expect(rows.map((r) => r[0].i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      await expect(sql`TRUNCATE items`).rejects.toMatchObject({ code: '42501' });
      const [{ n }] = await sql`SELECT count(*)::int AS n FROM items`;
      expect(n).toBe(100);
    } finally {
      await sql.end();
    }
  });
});

describe('pgbench', () => {
  for (const mode of ['simple', 'extended', 'prepared']) {
    it(`-S -M ${mode} completes without failures`, async () => {
      const { stdout } = await run('pgbench', ['-n', '-S', '-M', mode, '-c', '4', '-t', '200', proxy.url()], { encoding: 'utf8' });
      expect(stdout).toMatch(/number of transactions actually processed: 800\/800/);
      expect(stdout).toMatch(/number of failed transactions: 0/);
    });
  }

  it('the default (write) script is held with a clean error', async () => {
    const r = await run('pgbench', ['-n', '-M', 'extended', '-c', '1', '-t', '1', proxy.url()], { encoding: 'utf8' }).catch((e) => e);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/approval/);
    const n = psqlDirect(db, ['-At', '-c', 'SELECT count(*) FROM pgbench_history']);
    expect(n.trim()).toBe('0');
  });
});
