// Every public bypass case over the wire, twice: as one simple-protocol Query (psql -c) and over the
// extended protocol (node-postgres, queryMode extended). Nothing that is not `auto` may execute: the
// client gets an error and the fixture database's checksum is unchanged at the end.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { bypassCases, type BypassCase } from '../helpers/corpus.js';
import { CORPUS_DIR, RUN_MARK } from '../helpers/env.js';
import { createDatabase, dropDatabase, psqlDirect, startProxy, type Proxy } from './helpers/proxy.js';

const CHECKSUM = `
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
  SELECT 'accounts:' || md5(coalesce((SELECT string_agg(t::text, ',' ORDER BY t::text) FROM accounts t), '')) AS x
  UNION ALL SELECT 'orders:' || md5(coalesce((SELECT string_agg(t::text, ',' ORDER BY t::text) FROM orders t), ''))
  UNION ALL SELECT 'audit_log:' || md5(coalesce((SELECT string_agg(t::text, ',' ORDER BY t::text) FROM audit_log t), ''))
  UNION ALL SELECT 'seq:' || (SELECT last_value::text || is_called::text FROM order_seq)
  UNION ALL SELECT 'class:' || md5((SELECT string_agg(oid::text || relname || relkind::text || coalesce(relacl::text, ''), ',' ORDER BY oid) FROM pg_class))
  UNION ALL SELECT 'attr:' || md5((SELECT string_agg(attrelid::text || attname || atttypid::text || attnotnull::text, ',' ORDER BY attrelid, attnum) FROM pg_attribute))
  UNION ALL SELECT 'proc:' || md5((SELECT string_agg(oid::text || proname || md5(prosrc), ',' ORDER BY oid) FROM pg_proc))
  UNION ALL SELECT 'trigger:' || md5(coalesce((SELECT string_agg(oid::text || tgname || tgenabled::text, ',' ORDER BY oid) FROM pg_trigger), ''))
  UNION ALL SELECT 'rule:' || md5(coalesce((SELECT string_agg(oid::text || rulename, ',' ORDER BY oid) FROM pg_rewrite), ''))
  UNION ALL SELECT 'comment:' || md5(coalesce((SELECT string_agg(objoid::text || description, ',' ORDER BY objoid, classoid, objsubid) FROM pg_description), ''))
  UNION ALL SELECT 'lo:' || md5(coalesce((SELECT string_agg(oid::text, ',' ORDER BY oid) FROM pg_largeobject_metadata), ''))
  UNION ALL SELECT 'roles:' || md5((SELECT string_agg(rolname || rolsuper::text || rolcanlogin::text, ',' ORDER BY rolname) FROM pg_roles WHERE rolname NOT LIKE 'wire\\_%' AND strpos(rolname, '${RUN_MARK}') = 0))
  UNION ALL SELECT 'settings:' || md5(coalesce((SELECT string_agg(coalesce(setconfig::text, ''), ',' ORDER BY setdatabase, setrole) FROM pg_db_role_setting), ''))
  UNION ALL SELECT 'ext:' || md5((SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension))
) s`;

let proxy: Proxy;
let db: string;
let before: string;
const cases = bypassCases();

const checksum = () => psqlDirect(db, ['-At', '-c', CHECKSUM]).trim();

beforeAll(async () => {
  db = await createDatabase('wire_bypass');
  psqlDirect(db, ['-f', join(CORPUS_DIR, 'bypass-fixture.sql')]);
  before = checksum();
  proxy = await startProxy({ database: db, statementTimeoutMs: 3000, config: { approvalWaitSeconds: 0.2 } });
});

afterAll(async () => {
  await proxy?.close();
  if (db) await dropDatabase(db);
});

async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

/** node-postgres without parameters also sends one simple Query; used when the text is too big for argv. */
const simpleCase = async (c: BypassCase) => {
  const client = new pg.Client(proxy.url());
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(c.sql);
    return { c, code: 0, stderr: '' };
  } catch (err) {
    return { c, code: 1, stderr: `ERROR: ${(err as Error).message}` };
  } finally {
    await client.end().catch(() => {});
  }
};

const psqlCase = (c: BypassCase) =>
  c.sql.length > 100_000 || c.sql.includes('\0')
    ? simpleCase(c)
    : new Promise<{ c: BypassCase; code: number; stderr: string }>((resolve) => {
        execFile(
          'psql',
          ['-X', '-q', '-v', 'ON_ERROR_STOP=1', proxy.url(), '-c', c.sql],
          { encoding: 'utf8', timeout: 20_000 },
          (err, _stdout, stderr) => resolve({ c, code: err ? 1 : 0, stderr }),
        );
      });

const extendedCase = async (c: BypassCase) => {
  const client = new pg.Client(proxy.url());
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query({ text: c.sql, values: [], queryMode: 'extended' } as pg.QueryConfig);
    return { c, code: 0, stderr: '' };
  } catch (err) {
    return { c, code: 1, stderr: `ERROR: ${(err as Error).message} (${(err as { code?: string }).code})` };
  } finally {
    await client.end().catch(() => {});
  }
};

/** No non-auto case ran, no auto case was refused, and the fixture is byte-for-byte unchanged. */
function expectNothingLeaked(results: Awaited<ReturnType<typeof psqlCase>>[]): void {
  const leaked = results.filter((r) => r.c.expect !== 'auto' && r.code === 0);
  expect(leaked.map((r) => r.c.id)).toEqual([]);
  const overBlocked = results.filter((r) => r.c.expect === 'auto' && /Airlock|approval/.test(r.stderr));
  expect(overBlocked.map((r) => `${r.c.id}: ${r.stderr}`)).toEqual([]);
  expect(checksum()).toBe(before);
}

describe('bypass corpus over the wire', () => {
  it('simple protocol (psql -c, one Query message per case): nothing non-auto executes', async () => {
    const results = await pool(cases, 6, psqlCase);
    expectNothingLeaked(results);
  }, 180_000);

  it('extended protocol (node-postgres with parameters): nothing non-auto executes', async () => {
    const results = await pool(cases, 6, extendedCase);
    expectNothingLeaked(results);
  }, 180_000);

  it('client catalog queries stay auto over the wire', async () => {
    const catalog = readFileSync(join(CORPUS_DIR, 'client-catalog-public.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as BypassCase);
    const results = await pool(catalog, 6, psqlCase);
    expect(results.filter((r) => r.code !== 0).map((r) => `${r.c.id}: ${r.stderr}`)).toEqual([]);
  }, 120_000);
});
