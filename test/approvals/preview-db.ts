// Test helper: a fresh database per test file, loaded from the bypass fixture, plus a
// checksum of every user table's rows and every sequence's state ("byte-for-byte unchanged").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { CORPUS_DIR, DATABASE_URL, uniqueName } from '../helpers/env.js';
import { UpstreamPools } from '../../src/upstream/pools.js';

export const FIXTURE_SQL = readFileSync(join(CORPUS_DIR, 'bypass-fixture.sql'), 'utf8');

export interface FixtureDb {
  name: string;
  pools: UpstreamPools;
  /** a plain client on the test database, for setup and checks */
  admin: pg.Client;
  drop(): Promise<void>;
}

function urlFor(database: string): string {
  const u = new URL(DATABASE_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

/** CREATE DATABASE, load the fixture, open pools on it. */
export async function createFixtureDb(prefix: string, extraSql = ''): Promise<FixtureDb> {
  const name = uniqueName(prefix);
  const root = new pg.Client({ connectionString: DATABASE_URL });
  await root.connect();
  await root.query(`CREATE DATABASE ${name}`);
  await root.end();
  const admin = new pg.Client({ connectionString: urlFor(name) });
  await admin.connect();
  await admin.query(FIXTURE_SQL);
  if (extraSql) await admin.query(extraSql);
  const pools = new UpstreamPools({ url: DATABASE_URL, statementTimeoutMs: 15_000, poolSize: 6 });
  return {
    name,
    pools,
    admin,
    async drop() {
      await pools.close();
      await admin.end();
      const r = new pg.Client({ connectionString: DATABASE_URL });
      await r.connect();
      await r.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await r.end();
    },
  };
}

/** md5 of every user table's rows (sorted) and every sequence's last_value/is_called. */
export async function stateChecksum(client: pg.Client): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const tables = await client.query(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relkind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'S', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'airlock_meta')
        AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
      ORDER BY 1`,
  );
  for (const t of tables.rows) {
    const q =
      t.relkind === 'S'
        ? `SELECT last_value::text || '/' || is_called::text AS h FROM ${t.name}`
        : `SELECT count(*)::text || ':' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS h FROM ${t.name} t`;
    out[t.name] = (await client.query(q)).rows[0].h;
  }
  const lo = await client.query(`SELECT count(*)::text AS n FROM pg_largeobject_metadata`);
  out['(large objects)'] = lo.rows[0].n;
  return out;
}
