// Where a store's local audit files live: the write-ahead journal directory, the checkpoint key
// and the checkpoint log. Derived from the store URL so that `serve` and every CLI command on the
// same machine find the same files without configuration; each can be set explicitly.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseStoreUrl } from '../store/open.js';
import { redactUrl } from '../store/postgres-store.js';

export interface AuditPaths {
  /** the journal directory; null for an in-memory store (nothing there is durable anyway) */
  journalDir: string | null;
  keyFile: string | null;
  checkpointFile: string | null;
}

export interface AuditPathOverrides {
  journalDir?: string;
  keyFile?: string;
  checkpointFile?: string;
}

/** The directory for local state of stores that are not files (PostgreSQL): AIRLOCK_STATE_DIR or ~/.airlock. */
export const stateDir = () => process.env.AIRLOCK_STATE_DIR || join(homedir(), '.airlock');

/** SQLite: beside the database file. PostgreSQL: under the state directory, one prefix per store and schema. */
export function auditPaths(storeUrl: string, schema?: string, overrides: AuditPathOverrides = {}): AuditPaths {
  const t = parseStoreUrl(storeUrl);
  let prefix: string | null;
  if (t.kind === 'sqlite') prefix = t.path === ':memory:' ? null : t.path;
  else {
    const id = createHash('sha256')
      .update(`${redactUrl(t.url)}\n${schema ?? ''}`)
      .digest('hex')
      .slice(0, 16);
    prefix = join(stateDir(), `pg-${id}`);
  }
  return {
    journalDir: overrides.journalDir ?? (prefix ? `${prefix}.audit-journal` : null),
    keyFile: overrides.keyFile ?? (prefix ? `${prefix}.audit-key` : null),
    checkpointFile: overrides.checkpointFile ?? (prefix ? `${prefix}.audit-checkpoints.jsonl` : null),
  };
}
