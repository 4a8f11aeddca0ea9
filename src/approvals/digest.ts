// The fingerprint of the rows a write produces, compared between preview and execution.
// Order-independent (PostgreSQL may return RETURNING rows in another order the second time)
// and built row by row, so the preview never needs all rows in memory at once.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json.js';

// one canonical JSON for the whole project: the audit chain's (its bytes must never change)
export { canonicalJson };

/**
 * sha256 over the row count and the sorted sha256 of each row's canonical JSON.
 * Keeps 32 bytes per row (as a one-byte string), not the rows.
 */
export class RowDigest {
  private readonly rowHashes: string[] = [];

  add(row: Record<string, unknown>): void {
    this.rowHashes.push(createHash('sha256').update(canonicalJson(row)).digest('binary'));
  }

  get count(): number {
    return this.rowHashes.length;
  }

  /** The hex digest; the empty set of rows has a digest too. */
  digest(): string {
    // latin1 strings compare by byte value, so this is the byte order of the row hashes
    this.rowHashes.sort();
    const h = createHash('sha256').update(`airlock-rows-v1\n${this.rowHashes.length}\n`);
    for (const r of this.rowHashes) h.update(r, 'latin1');
    return h.digest('hex');
  }
}

/** Digest of a complete list of rows (tests, small results). */
export function digestRows(rows: Record<string, unknown>[]): string {
  const d = new RowDigest();
  for (const r of rows) d.add(r);
  return d.digest();
}
