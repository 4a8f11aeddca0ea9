// Recompute the hash chain from the first event, streaming, and report the first break; then hold
// the chain against the signed checkpoints (store table and the file outside the store) and an
// optional head kept elsewhere, so that deleting the newest events is detected too.
import { chainHash, GENESIS_HASH } from '../store/chain-hash.js';
import type { Store } from '../store/store.js';
import type { AuditCheckpoint, VerifyResult } from '../domain/audit.js';
import { checkpointValid, readCheckpointFile } from './checkpoints.js';

export type { VerifyResult };

export interface VerifyOptions {
  /** the checkpoint key; without it signatures are not checked (hashes still are) */
  key?: Buffer | null;
  /** the checkpoint file kept outside the store */
  checkpointFile?: string | null;
  /** a head recorded elsewhere (`audit verify --head SEQ:HASH`) */
  head?: { seq: number; hash: string };
}

/** Walk every event in seq order; seq must run 1, 2, 3... and each hash must recompute. */
export async function verifyChain(store: Store, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const warnings: string[] = [];
  const marks = await checkpoints(store, opts, warnings);
  if (typeof marks === 'string') return { ok: false, count: 0, reason: marks };
  let m = 0;
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
    while (m < marks.length && marks[m].seq === ev.seq) {
      if (marks[m].hash !== ev.hash)
        return broken(ev.seq, `event ${ev.seq} differs from the ${marks[m].from} kept for it (rewritten chain)`);
      m++;
    }
    prev = ev.hash;
    count++;
    expected++;
  }
  if (m < marks.length) {
    const mark = marks[marks.length - 1];
    return broken(
      expected,
      `the chain ends at seq ${expected - 1} but the ${mark.from} names seq ${mark.seq}: events were deleted from the end`,
    );
  }
  const signatures = opts.key ? 'verified' : 'unchecked (no audit key here)';
  const lastMark = marks.filter((x) => x.from !== 'head given with --head').at(-1);
  return {
    ok: true,
    count,
    ...(count ? { lastSeq: count, headHash: prev } : {}),
    checkpoints: { checked: marks.length, signatures, ...(lastMark ? { lastSeq: lastMark.seq } : {}) },
    ...(warnings.length ? { warnings } : {}),
  };
}

interface Mark {
  seq: number;
  hash: string;
  from: string;
}

/** Checkpoints from the table and the file (signatures checked when the key is known), plus --head; by seq. */
async function checkpoints(store: Store, opts: VerifyOptions, warnings: string[]): Promise<Mark[] | string> {
  const marks: Mark[] = [];
  const root = (await store.listAudit({ order: 'asc', limit: 1 }))[0]?.hash ?? null;
  const add = (list: AuditCheckpoint[], from: string): string | null => {
    for (const c of list) {
      if (opts.key && !checkpointValid(opts.key, c))
        return `the ${from} at seq ${c.seq} has an invalid signature (forged or wrong audit key)`;
      marks.push({ seq: c.seq, hash: c.hash, from });
    }
    return null;
  };
  const fromFile = readCheckpointFile(opts.checkpointFile ?? null);
  // a file left by an earlier store at the same place (recreated on purpose) speaks of another chain
  const ours = root === null ? fromFile : fromFile.filter((c) => c.root === root);
  if (ours.length < fromFile.length) {
    warnings.push(
      `${fromFile.length - ours.length} checkpoint(s) in ${opts.checkpointFile} belong to another chain (a store recreated at this place?); not checked`,
    );
  }
  const bad = add(await store.listAuditCheckpoints(), 'checkpoint in the store') ?? add(ours, 'checkpoint file');
  if (bad) return bad;
  if (opts.head) marks.push({ seq: opts.head.seq, hash: opts.head.hash, from: 'head given with --head' });
  return marks.sort((a, b) => a.seq - b.seq);
}
