// Upstream pools against the real PostgreSQL: the read-only backstop, row caps, session hygiene,
// odd database names, role warnings and clear errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { UpstreamPools, POOL_KINDS } from '../../src/upstream/pools.js';
import { parseUpstreamUrl } from '../../src/upstream/url.js';
import { DATABASE_URL, uniqueName } from '../helpers/env.js';

const odd = `${uniqueName('up')} we/ird#db%`;
let pools: UpstreamPools;
let root: pg.Client;

beforeAll(async () => {
  root = new pg.Client({ connectionString: DATABASE_URL });
  await root.connect();
  await root.query(`CREATE DATABASE "${odd}"`);
  const setup = new pg.Client({ ...parseUpstreamUrl(DATABASE_URL).base, database: odd });
  await setup.connect();
  await setup.query('CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g');
  await setup.end();
  pools = new UpstreamPools({ url: DATABASE_URL, statementTimeoutMs: 2000, poolSize: 2 });
});

afterAll(async () => {
  await pools?.close();
  await root.query(`DROP DATABASE IF EXISTS "${odd}" WITH (FORCE)`);
  await root.end();
});

describe('UpstreamPools', () => {
  it('reads through the read-only pool, keeping rowCount exact under maxRows', async () => {
    const r = await pools.runReadOnly(odd, 'SELECT id, v FROM t WHERE id <= $1 ORDER BY id', [300], { maxRows: 10 });
    expect(r.command).toBe('SELECT');
    expect(r.rowCount).toBe(300);
    expect(r.rows).toHaveLength(10);
    expect(r.rows[0]).toEqual({ id: '1', v: 'c4ca4238a0b923820dcc509a6f75849b' });
    expect(r.fields.map((f) => f.name)).toEqual(['id', 'v']);
    const typed = await pools.runReadOnly(odd, 'SELECT 1::int AS n, true AS b', [], { typed: true });
    expect(typed.rows).toEqual([{ n: 1, b: true }]);
  });

  it('a misclassified write fails in PostgreSQL with 25006', async () => {
    await expect(pools.runReadOnly(odd, "INSERT INTO t VALUES (9999, 'x')")).rejects.toMatchObject({ code: '25006' });
    await expect(pools.runReadOnly(odd, 'SELECT 1; DELETE FROM t')).rejects.toMatchObject({ code: '42601' });
    const still = await pools.runReadOnly(odd, 'SELECT count(*)::int AS n FROM t', [], { typed: true });
    expect(still.rows).toEqual([{ n: 500 }]);
  });

  it('statement_timeout from config is a startup option of both pools', async () => {
    for (const kind of Object.values(POOL_KINDS)) {
      const c = await pools.connect(odd, kind);
      const { rows } = await c.query(
        "SELECT current_setting('statement_timeout') AS t, current_setting('default_transaction_read_only') AS ro",
      );
      c.release();
      expect(rows[0].t).toBe('2s');
      expect(rows[0].ro).toBe(kind === POOL_KINDS.readOnly ? 'on' : 'off');
    }
    await expect(pools.runReadOnly(odd, 'SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
  });

  it('session state from one request does not reach the next', async () => {
    await pools.runReadOnly(odd, "SELECT set_config('search_path', 'pg_catalog', false)");
    await pools.runReadOnly(odd, 'BEGIN');
    for (let i = 0; i < 4; i++) {
      const r = await pools.runReadOnly(odd, "SELECT current_setting('search_path') AS p, count(*)::int AS n FROM t");
      expect(r.rows[0]).toEqual({ p: '"$user", public', n: '500' });
    }
    const scoped = await pools.runReadOnly(odd, 'SELECT count(*) AS n FROM t', [], { searchPath: 'pg_catalog' }).catch((e) => e);
    expect(scoped).toMatchObject({ code: '42P01' });
  });

  it('reports the upstream role (superuser / BYPASSRLS) for warnings', async () => {
    const role = await pools.checkUpstreamRole(odd);
    const { rows } = await root.query('SELECT current_user AS u, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user');
    expect(role).toEqual({ role: rows[0].u, superuser: rows[0].rolsuper, bypassRls: rows[0].rolbypassrls });
  });

  it('bad database names and unknown databases are clear errors', async () => {
    await expect(pools.runReadOnly('', 'SELECT 1')).rejects.toMatchObject({ code: '22023' });
    await expect(pools.runReadOnly('x'.repeat(64), 'SELECT 1')).rejects.toMatchObject({ code: '22023' });
    await expect(pools.runReadOnly('a\0b', 'SELECT 1')).rejects.toMatchObject({ code: '22023' });
    await expect(pools.runReadOnly(uniqueName('missing'), 'SELECT 1')).rejects.toMatchObject({ code: '3D000' });
    const small = new UpstreamPools({ url: DATABASE_URL, statementTimeoutMs: 1000, poolSize: 1, maxDatabases: 1 });
    small.pool(odd, POOL_KINDS.readOnly);
    expect(() => small.pool('other', POOL_KINDS.readOnly)).toThrow(/too many upstream databases/);
    await small.close();
    expect(() => small.pool(odd, POOL_KINDS.readOnly)).toThrow(/closed/);
  });

  it('parses upstream URLs without putting the database name back into a URL', () => {
    const t = parseUpstreamUrl(
      'postgresql://u%40x:p%2Fw@db.example:6543/main?sslmode=require&application_name=a&options=-c%20work_mem%3D4MB',
    );
    expect(t.base).toMatchObject({
      host: 'db.example',
      port: 6543,
      user: 'u@x',
      password: 'p/w',
      application_name: 'a',
      ssl: { rejectUnauthorized: false },
    });
    expect(t.defaultDatabase).toBe('main');
    expect(t.extraOptions).toBe('-c work_mem=4MB');
    expect(t.sslmode).toBe('require'); // what the wire proxy's own connections read (server-socket.ts)
    expect(parseUpstreamUrl('postgresql://h/db').sslmode).toBeNull();
    expect(parseUpstreamUrl('postgresql:///db?host=/var/run/postgresql').base.host).toBe('/var/run/postgresql');
    // libpq's own spellings of a socket directory: userinfo with an empty host, or the path percent-encoded as the host
    const empty = parseUpstreamUrl('postgresql://sam:pw@/main?host=/run/postgresql&port=5433');
    expect(empty.base).toMatchObject({ host: '/run/postgresql', port: 5433, user: 'sam', password: 'pw' });
    expect(empty.defaultDatabase).toBe('main');
    expect(parseUpstreamUrl('postgresql://sam@/main').base.host).toBe('127.0.0.1');
    expect(parseUpstreamUrl('postgresql://%2Frun%2Fpostgresql:5433/main').base).toMatchObject({ host: '/run/postgresql', port: 5433 });
    expect(() => parseUpstreamUrl('postgresql://sam@')).not.toThrow();
    expect(() => parseUpstreamUrl('postgresql://sam@@/x')).toThrow(/valid URL/);
    expect(() => parseUpstreamUrl('mysql://x/y')).toThrow(/postgresql/);
    expect(() => parseUpstreamUrl('not a url')).toThrow(/valid URL/);
  });
});
