// One entry point from a store URL (config `store.url`, AIRLOCK_STORE_URL, --store) to a Store.
import { resolve } from 'node:path';
import { configError } from '../errors.js';
import { redactUrl } from '../domain/redact-url.js';
import type { PostgresStoreOptions } from './postgres-store.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import type { Store } from './store.js';

export type OpenStoreOptions = SqliteStoreOptions & PostgresStoreOptions;

/** `sqlite:PATH` (relative to cwd), `sqlite::memory:`, or `postgres://` / `postgresql://`. */
export function parseStoreUrl(url: string): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } {
  if (typeof url !== 'string' || !url.trim()) throw configError('store URL is empty; expected sqlite:PATH or postgresql://...');
  const u = url.trim();
  if (/^postgres(ql)?:\/\//i.test(u)) return { kind: 'postgres', url: u };
  if (/^sqlite:/i.test(u)) {
    let path = u.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path and sqlite://rel/path
    if (!path) throw configError(`invalid store URL "${u}": no file path after sqlite:`);
    return { kind: 'sqlite', path: path === ':memory:' ? ':memory:' : resolve(path) };
  }
  throw configError(`invalid store URL "${redactUrl(u)}": expected sqlite:PATH, sqlite::memory: or postgresql://...`);
}

/** Open and migrate the store a URL names. Only the driver it needs is loaded (CLI start-up time). */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const target = parseStoreUrl(url);
  if (target.kind === 'sqlite') return (await import('./sqlite-store.js')).openSqliteStore(target.path, opts);
  return (await import('./postgres-store.js')).openPostgresStore(target.url, opts);
}
