// Where a store's local audit files live: the write-ahead journal directory, the checkpoint key
// and the checkpoint log. Derived from the store URL so that `serve` and every CLI command on the
// same machine find the same files without configuration; each can be set explicitly.
import { statePrefix } from '../store/state-prefix.js';

export { stateDir } from '../store/state-prefix.js';

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

/** SQLite: beside the database file. PostgreSQL: under the state directory, one prefix per store and schema. */
export function auditPaths(storeUrl: string, schema?: string, overrides: AuditPathOverrides = {}): AuditPaths {
  const prefix = statePrefix(storeUrl, schema);
  return {
    journalDir: overrides.journalDir ?? (prefix ? `${prefix}.audit-journal` : null),
    keyFile: overrides.keyFile ?? (prefix ? `${prefix}.audit-key` : null),
    checkpointFile: overrides.checkpointFile ?? (prefix ? `${prefix}.audit-checkpoints.jsonl` : null),
  };
}
