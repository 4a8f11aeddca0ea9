// The one writer of audit chunks into the store, used in the request thread (in-thread sink) and in
// the audit worker alike: chunks are applied in order, one transaction per batch (hash chain, the
// journal offset and, now and then, a signed checkpoint), retried with backoff while the store fails.
// It also replays journals left behind by processes that died (exactly once, by journal offset).
import { join } from 'node:path';
import { logger } from '../logger.js';
import type { AppendBatchOptions, AuditBlockText, CheckpointSigner, Store } from '../store/store.js';
import type { AuditCheckpoint } from '../domain/audit.js';
import type { PreparedAudit } from '../store/chain-hash.js';
import { decodeAuditLines } from './audit-line.js';
import { appendCheckpointFile, checkpointSigner } from './checkpoints.js';
import { findOrphans, readJournal, removeJournal } from './journal.js';

/** Where a journal holds a chunk's lines: bytes start … end-1 of the file. */
export interface JournalRange {
  name: string;
  start: number;
  end: number;
}

/** Committed audit lines: events first … first+count-1 of their log, and where the journal holds them. */
export interface AuditChunk {
  first: number;
  count: number;
  text: string;
  journal?: JournalRange;
}

export interface ChunkWriterOptions {
  key: Buffer | null;
  checkpointFile: string | null;
  journalDir: string | null;
  maxBatch: number;
  /** every event of chunks up to this index (exclusive) is stored */
  onStored: (upTo: number) => void;
  onFailed: (err: Error) => void;
  /**
   * A checkpoint at most this often while events flow (default 1000 ms), and of the head once they
   * stop: this long after the last one, or when the writer finishes.
   */
  checkpointEveryMs?: number;
}

/**
 * Past this many characters a run's text goes on in another block. V8 keeps a string longer than
 * ~128 KiB in its large-object space, a fresh mapping each time whose page faults cost more than
 * the lines in it (measured on a VM: 0.25 against 0.02 µs a line to copy 1,500 lines, 400 KiB).
 */
export const BLOCK_CHARS = 64 * 1024;

/**
 * How many chunks from `from` on go together, to the worker and into one transaction: consecutive
 * events written back to back to one journal (or all without one), up to maxBatch events and (for
 * one block's text) maxChars characters; always at least one chunk.
 */
export function runLength(chunks: readonly AuditChunk[], from: number, maxBatch: number, maxChars = Infinity): number {
  let end = from + 1;
  let events = chunks[from].count;
  let chars = chunks[from].text.length;
  for (; end < chunks.length; end++) {
    const prev = chunks[end - 1];
    const c = chunks[end];
    if (prev.first + prev.count !== c.first || prev.journal?.name !== c.journal?.name) break;
    if (prev.journal && prev.journal.end !== c.journal!.start) break;
    if (events + c.count > maxBatch || chars + c.text.length > maxChars) break;
    events += c.count;
    chars += c.text.length;
  }
  return end - from;
}

/** A run of chunks as one chunk: its events, its text in order, and the journal bytes they fill. */
export function joinRun(run: readonly AuditChunk[]): AuditChunk {
  if (run.length === 1) return run[0];
  const [head, last] = [run[0], run[run.length - 1]];
  return {
    first: head.first,
    count: run.reduce((n, c) => n + c.count, 0),
    text: run.map((c) => c.text).join(''),
    ...(head.journal && last.journal ? { journal: { ...last.journal, start: head.journal.start } } : {}),
  };
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;
const LOG_CHECKPOINT_EVERY_MS = 10_000;
const RECOVERY_READ_BYTES = 1 << 20;

export class ChunkWriter {
  private queue: AuditChunk[] = [];
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private lastCheckpoint = 0;
  /** the newest stored event is named by a checkpoint (or nothing is stored) */
  private headSigned = true;
  /** sign the head at the end of the current drain (the idle timer fired, or finish() waits) */
  private signWanted = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastLogged = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly sign: CheckpointSigner | null;

  constructor(
    private readonly store: Store,
    private readonly opts: ChunkWriterOptions,
  ) {
    this.sign = opts.key ? checkpointSigner(opts.key) : null;
  }

  write(chunk: AuditChunk): void {
    this.queue.push(chunk);
    if (!this.running && !this.timer) this.start();
  }

  /** Write now instead of after the backoff (a flush is waiting). */
  kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.start();
    }
  }

  /** Resolves when nothing is queued or being written (or the store keeps failing: see close()). */
  idle(): Promise<void> {
    if (!this.running && !this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** idle(), then a checkpoint of the head if the last events have none: before the store is closed. */
  async finish(): Promise<void> {
    await this.idle();
    if (this.headSigned || !this.sign) return;
    this.signWanted = true;
    if (!this.running && !this.timer) this.start();
    await this.idle();
  }

  get queued(): number {
    return this.queue.length;
  }

  private start(): void {
    const p = this.drain();
    this.running = p;
    void p.finally(() => {
      if (this.running === p) this.running = null;
      // chunks (or a checkpoint) wanted after the drain's last look: go on, unless a retry is timed
      if ((this.queue.length || this.signWanted) && !this.timer) return this.start();
      for (const w of this.idleWaiters.splice(0)) w();
      if (!this.queue.length && !this.headSigned && !this.idleTimer) {
        this.armIdleCheckpoint(this.lastCheckpoint + this.checkpointEveryMs - Date.now());
      }
    });
  }

  /** Events stopped with the head unsigned: sign it after `wait` ms (a period after the last checkpoint). */
  private armIdleCheckpoint(wait: number): void {
    this.idleTimer = setTimeout(
      () => {
        this.idleTimer = null;
        if (this.headSigned) return;
        this.signWanted = true;
        if (!this.running && !this.timer) this.start();
      },
      Math.max(10, wait),
    );
    this.idleTimer.unref();
  }

  private get checkpointEveryMs(): number {
    return this.opts.checkpointEveryMs ?? 1000;
  }

  private async drain(): Promise<void> {
    await this.drainQueue();
    while (this.signWanted && !this.timer) {
      this.signWanted = false;
      await this.signHead();
      // events that came in meanwhile
      await this.drainQueue();
    }
  }

  /** A checkpoint of the head when the last stored events have none (never throws: tried again later). */
  private async signHead(): Promise<void> {
    if (this.headSigned || !this.sign) return;
    try {
      const c = await this.store.checkpointAuditHead(this.sign);
      if (c) this.noteCheckpoint(c);
      this.headSigned = true;
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'audit checkpoint failed; trying again in a period');
      if (!this.idleTimer) this.armIdleCheckpoint(this.checkpointEveryMs);
    }
  }

  private async drainQueue(): Promise<void> {
    while (this.queue.length) {
      const run = this.queue.splice(0, runLength(this.queue, 0, this.opts.maxBatch));
      try {
        await this.appendRun(run);
      } catch (err) {
        this.queue.unshift(...run);
        this.failures++;
        const e = err instanceof Error ? err : new Error(String(err));
        this.opts.onFailed(e);
        const retry = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures - 1, 10));
        logger.error({ err: e.message, queued: this.queue.length, retryMs: retry }, 'audit write failed; will retry');
        this.timer = setTimeout(() => {
          this.timer = null;
          this.start();
        }, retry);
        this.timer.unref();
        return;
      }
      this.failures = 0;
      const last = run[run.length - 1];
      this.opts.onStored(last.first + last.count);
    }
  }

  /** One transaction for a run of chunks, stored as blocks of up to BLOCK_CHARS of their text. */
  private appendRun(run: readonly AuditChunk[]): Promise<void> {
    const texts: string[] = [];
    for (let i = 0; i < run.length;) {
      const n = runLength(run, i, Infinity, BLOCK_CHARS);
      texts.push(joinRun(run.slice(i, i + n)).text);
      i += n;
    }
    return this.appendTexts(texts, run[run.length - 1].journal);
  }

  /** Store complete journal lines, each text as one block (kept as is, decoded once here). */
  private async appendTexts(texts: readonly string[], journal: AppendBatchOptions['journal']): Promise<void> {
    const events: PreparedAudit[] = [];
    const blocks: AuditBlockText[] = [];
    for (const lines of texts) {
      const decoded = decodeAuditLines(lines, true);
      for (const e of decoded) events.push(e);
      blocks.push({ count: decoded.length, lines });
    }
    if (!events.length) return;
    const wantCheckpoint = this.sign !== null && Date.now() - this.lastCheckpoint >= this.checkpointEveryMs;
    const r = await this.store.appendAuditBatch(events, {
      journal,
      blocks,
      ...(wantCheckpoint && this.sign ? { checkpoint: this.sign } : {}),
    });
    if (r.skipped) return;
    this.headSigned = !this.sign || r.checkpoint !== undefined;
    if (r.checkpoint) this.noteCheckpoint(r.checkpoint);
  }

  private noteCheckpoint(c: AuditCheckpoint): void {
    this.lastCheckpoint = c.ts;
    appendCheckpointFile(this.opts.checkpointFile, c);
    if (c.ts - this.lastLogged >= LOG_CHECKPOINT_EVERY_MS) {
      this.lastLogged = c.ts;
      logger.info({ auditCheckpoint: { seq: c.seq, hash: c.hash, ts: c.ts, mac: c.mac } }, 'audit checkpoint');
    }
  }

  /** Replay every orphaned journal (its owner died) from where the store says it stopped; then delete it. */
  async recoverOrphans(exclude?: string): Promise<number> {
    let events = 0;
    for (const name of findOrphans(this.opts.journalDir, exclude)) {
      const path = join(this.opts.journalDir!, name);
      let offset = await this.store.journalApplied(name);
      let size = RECOVERY_READ_BYTES;
      for (;;) {
        const { text, bytes, read } = readJournal(path, offset, size);
        if (bytes === 0) {
          // the end (maybe a torn last line), or one line longer than the window
          if (read < size || size >= 64 * RECOVERY_READ_BYTES) break;
          size *= 2;
          continue;
        }
        offset += bytes;
        await this.appendTexts([text], { name, end: offset });
        events += text.split('\n').length - 1;
      }
      removeJournal(path);
      await this.store.forgetJournal(name);
      logger.info({ journal: name }, 'replayed an audit journal left by a process that stopped');
    }
    // a recovering command may exit right after: the replayed head is signed now, not in a period
    if (events) await this.signHead();
    return events;
  }
}
