// Recompute the hash chain from the first event, streaming, and report the first break.
import { chainHash, GENESIS_HASH } from '../store/chain-hash.js';
import type { Store } from '../store/store.js';

export interface VerifyResult {
  ok: boolean;
  /** events checked and found intact (those before the break) */
  count: number;
  /** seq of the first event that is missing, out of place or altered */
  firstBrokenSeq?: number;
  reason?: string;
  /** seq and hash of the last intact event: record it elsewhere to detect truncation later */
  lastSeq?: number;
  headHash?: string;
}

/** Walk every event in seq order; seq must run 1, 2, 3... and each hash must recompute. */
export async function verifyChain(store: Store): Promise<VerifyResult> {
  let expected = 1;
  let prev = GENESIS_HASH;
  let count = 0;
  const broken = (seq: number, reason: string): VerifyResult => ({
    ok: false,
    count,
    firstBrokenSeq: seq,
    reason,
    ...(count ? { lastSeq: expected - 1, headHash: prev } : {}),
  });
  for await (const ev of store.iterateAudit(1)) {
    if (ev.seq !== expected) {
      return broken(expected, ev.seq > expected ? `event ${expected} is missing (next stored is ${ev.seq})` : `seq ${ev.seq} out of order`);
    }
    if (ev.prev_hash !== prev) return broken(ev.seq, 'prev_hash does not match the hash of the previous event');
    if (chainHash(prev, ev) !== ev.hash) return broken(ev.seq, 'hash does not match the event contents (altered)');
    prev = ev.hash;
    count++;
    expected++;
  }
  return { ok: true, count, ...(count ? { lastSeq: count, headHash: prev } : {}) };
}
