// Where a store's local files live (audit journal, keys): derived from the store URL so `serve` and
// every CLI command on the same machine find the same files without configuration.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseStoreUrl } from './open.js';
import { redactUrl } from './postgres-store.js';

/** The directory for local state of stores that are not files (PostgreSQL): AIRLOCK_STATE_DIR or ~/.airlock. */
export const stateDir = () => process.env.AIRLOCK_STATE_DIR || join(homedir(), '.airlock');

/**
 * The path prefix of a store's local files: SQLite beside the database file; PostgreSQL under the
 * state directory, one prefix per store and schema; null for an in-memory store.
 */
export function statePrefix(storeUrl: string, schema?: string): string | null {
  const t = parseStoreUrl(storeUrl);
  if (t.kind === 'sqlite') return t.path === ':memory:' ? null : t.path;
  const id = createHash('sha256')
    .update(`${redactUrl(t.url)}\n${schema ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return join(stateDir(), `pg-${id}`);
}
