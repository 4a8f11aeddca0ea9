// JSON-lines export of the audit trail, streamed with backpressure; each line carries seq,
// prev_hash and hash so an outside tool can re-verify the chain (sha256(prev_hash + canonical body)).
import { once } from 'node:events';
import type { Store } from '../store/store.js';
import { exportLine, type AuditEvent, type AuditFilter } from '../domain/audit.js';

export type ExportFilter = Omit<AuditFilter, 'order' | 'afterSeq'>;

const PAGE = 1000;

export { exportLine };

async function* filtered(store: Store, filter: ExportFilter): AsyncIterable<AuditEvent> {
  const max = filter.limit ?? Infinity;
  let sent = 0;
  let afterSeq = 0;
  while (sent < max) {
    const page = await store.listAudit({ ...filter, order: 'asc', afterSeq, limit: Math.min(PAGE, max - sent) });
    for (const e of page) yield e;
    sent += page.length;
    if (page.length < PAGE) return;
    afterSeq = page[page.length - 1].seq;
  }
}

/** Write events oldest first to `out`; returns how many were written. */
export async function exportJsonl(store: Store, out: NodeJS.WritableStream, filter: ExportFilter = {}): Promise<number> {
  const all = Object.values(filter).every((v) => v === undefined);
  let n = 0;
  for await (const e of all ? store.iterateAudit(1) : filtered(store, filter)) {
    // once() also rejects when the stream emits 'error' while we wait.
    if (!out.write(exportLine(e))) await once(out as NodeJS.EventEmitter, 'drain');
    n++;
  }
  return n;
}
