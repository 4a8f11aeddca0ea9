// Both store adapters behind one test fixture: a temp SQLite file or an own PostgreSQL schema,
// plus a raw side connection for checks and tampering that bypass the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import Database from 'better-sqlite3';
import { openStore, type OpenStoreOptions } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { DATABASE_URL, uniqueName } from '../helpers/env.js';

export interface StoreTarget {
  kind: 'sqlite' | 'postgres';
  /** open another store (another "process") on the same data */
  open(opts?: OpenStoreOptions): Promise<Store>;
  /** a URL the CLI can use */
  url: string;
  /** run SQL on a raw side connection */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

async function sqliteTarget(): Promise<StoreTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-store-'));
  const file = join(dir, 'store.sqlite');
  const stores: Store[] = [];
  let side: Database.Database | undefined;
  return {
    kind: 'sqlite',
    url: `sqlite:${file}`,
    async open(opts) {
      const s = await openStore(`sqlite:${file}`, opts);
      stores.push(s);
      return s;
    },
    async raw(sql, params = []) {
      side ??= new Database(file, { timeout: 10_000 });
      const st = side.prepare(sql);
      if (st.reader) return st.all(params) as Record<string, unknown>[];
      st.run(params);
      return [];
    },
    async cleanup() {
      await Promise.all(stores.map((s) => s.close()));
      side?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresTarget(): Promise<StoreTarget> {
  const schema = uniqueName('store');
  const stores: Store[] = [];
  const side = new pg.Pool({ connectionString: DATABASE_URL, max: 2, options: `-c search_path=${schema}` });
  return {
    kind: 'postgres',
    url: `${DATABASE_URL}?schema=${schema}`,
    async open(opts) {
      const s = await openStore(DATABASE_URL, { schema, ...opts });
      stores.push(s);
      return s;
    },
    async raw(sql, params = []) {
      return (await side.query(sql, params)).rows;
    },
    async cleanup() {
      await Promise.all(stores.map((s) => s.close()));
      await side.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await side.end();
    },
  };
}

export const TARGETS = [
  { kind: 'sqlite' as const, make: sqliteTarget },
  { kind: 'postgres' as const, make: postgresTarget },
];

/** `?` placeholders for SQLite, `$n` for PostgreSQL, in raw test SQL. */
export const ph = (kind: StoreTarget['kind'], n: number) => (kind === 'sqlite' ? '?' : `$${n}`);

/**
 * Per test: a fresh target and a store open on it, handed to `set`; cleaned up after the test.
 * Call inside describe.each(TARGETS).
 */
export function useStoreTarget(make: () => Promise<StoreTarget>, set: (target: StoreTarget, store: Store) => void): void {
  let current: StoreTarget | undefined;
  beforeEach(async () => {
    current = await make();
    set(current, await current.open());
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
}
