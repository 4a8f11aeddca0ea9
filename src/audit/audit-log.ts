// The audit log every part of Airlock appends to. append() encodes the event at once; at the end of
// the tick (or before any result goes back, see ensureDurable) the pending lines are committed: one
// write(2) to this process's journal makes them survive a kill -9, then a sink (in-thread or a
// worker) stores them in the hash chain. Back-pressure, lag and refusal live here, once.
import { logger } from '../logger.js';
import { auditUnavailable } from '../errors.js';
import { parseStoreUrl } from '../store/open.js';
import type { Store } from '../store/store.js';
import { encodeAuditLine } from './audit-line.js';
import type { AuditInput } from '../domain/audit.js';
import type { JournalWriter } from './journal.js';
import type { JournalRange } from './chunk-writer.js';
import { ThreadSink, within, type AuditSink, type SinkEvents } from './sink.js';
import { openSink, prepareJournal, recoverJournals, type SinkOpenOptions } from './sink-setup.js';

const isMemoryStore = (url: string) => {
  const t = parseStoreUrl(url);
  return t.kind === 'sqlite' && t.path === ':memory:';
};

export interface AuditLogOptions {
  /** events per store transaction; default 1000 */
  maxBatch?: number;
  /** events held in memory while the store is unreachable; beyond it new events are counted and dropped */
  maxQueue?: number;
  /** lag past which the log reports `refusing` (new work must be refused); default 1000 ms */
  refuseAfterMs?: number;
}

export interface AuditLogOpenOptions extends AuditLogOptions, SinkOpenOptions {
  /** PostgreSQL schema of the store (as for openStore) */
  schema?: string;
  /** The caller's open store: used in-thread (sqlite::memory:, AIRLOCK_AUDIT_WORKER=off, worker: false). */
  store?: Store;
  /** run the audit in a worker thread (default true, unless AIRLOCK_AUDIT_WORKER=off) */
  worker?: boolean;
}

export interface AuditHealth {
  refusing: boolean;
  /** why new work is refused */
  reason?: string;
  /** age of the oldest committed event not yet stored, ms */
  lagMs: number;
  /** appended and not yet stored */
  pending: number;
  dropped: number;
}

/** how long close() keeps trying to store what is left (the journal keeps it for replay anyway) */
const CLOSE_BOUND_MS = 5000;

export class AuditLog {
  private lines: string[] = [];
  private appended = 0;
  private committed = 0;
  private stored = 0;
  private dropped = 0;
  /** every event dropped since start (metrics); `dropped` is reset once the overflow note is written */
  private droppedEver = 0;
  private closed = false;
  private scheduled = false;
  /** [first event index of a committed chunk, when it was committed], oldest first */
  private commits: [number, number][] = [];
  private journalError: Error | null = null;
  private lastError: Error | null = null;
  private waiters: { target: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private sink!: AuditSink;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly refuseAfterMs: number;

  private constructor(
    opts: AuditLogOptions,
    private readonly journal: JournalWriter | null,
  ) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 1000);
    this.maxQueue = Math.max(this.maxBatch, opts.maxQueue ?? 1_000_000);
    this.refuseAfterMs = opts.refuseAfterMs ?? 1000;
  }

  /** In-thread over an open store, without a journal (tests, in-memory stores). */
  static inThread(store: Store, opts: AuditLogOptions = {}): AuditLog {
    const log = new AuditLog(opts, null);
    log.sink = new ThreadSink(store, { key: null, checkpointFile: null, journalDir: null, maxBatch: log.maxBatch }, log.sinkEvents());
    return log;
  }

  /**
   * The audit log a server or CLI command should use: a journal beside the store, checkpoints
   * signed with the audit key, orphaned journals replayed, and (by default) a worker thread with
   * its own store connection doing the hashing and writes.
   */
  static async open(storeUrl: string, opts: AuditLogOpenOptions = {}): Promise<AuditLog> {
    const memory = isMemoryStore(storeUrl);
    const threaded = (opts.worker ?? process.env.AIRLOCK_AUDIT_WORKER !== 'off') && !memory;
    if (!threaded && !opts.store) throw new Error(`AuditLog.open(${memory ? 'sqlite::memory:' : 'in-thread'}) needs opts.store`);
    if (memory) return AuditLog.inThread(opts.store!, opts);
    const { journal, settings } = prepareJournal(storeUrl, opts);
    const log = new AuditLog(opts, journal);
    try {
      log.sink = await openSink(storeUrl, opts, { ...settings, maxBatch: log.maxBatch }, threaded, log.sinkEvents());
    } catch (err) {
      journal.close(true);
      throw err;
    }
    return log;
  }

  /**
   * Replay journals left by processes that died (kill -9) into the store, without opening a log:
   * what `audit list|export|verify` do first, so they see every event that was journaled.
   */
  static recover(storeUrl: string, store: Store, opts: AuditLogOpenOptions = {}): Promise<number> {
    return recoverJournals(storeUrl, store, opts);
  }

  /** true when a worker thread does the audit work */
  get threaded(): boolean {
    return this.sink.threaded;
  }

  private sinkEvents(): SinkEvents {
    return {
      onStored: (upTo) => this.onStored(upTo),
      onFailed: (err) => {
        this.lastError = err;
        for (const w of this.waiters.splice(0)) w.reject(err);
      },
    };
  }

  /**
   * Queue an event; it is redacted and encoded now, committed at the end of the tick (on the wire:
   * while the statement it records runs upstream, so its result need not wait for the write) or
   * sooner when a result waits for it.
   */
  append(event: AuditInput): void {
    if (this.accepting(event.type)) this.push(encodeAuditLine(event));
  }

  /** Queue an event already encoded as one line (encodeDecisionLine: the wire proxy's hot path). */
  appendLine(line: string): void {
    if (this.accepting('decision')) this.push(line);
  }

  /** Room for one more event: not closed, and the backlog under maxQueue (else it is counted and dropped). */
  private accepting(type: string): boolean {
    if (this.closed) {
      logger.error({ type }, 'audit event appended after close; dropped');
      return false;
    }
    if (this.appended - this.stored >= this.maxQueue) {
      this.droppedEver++;
      if (this.dropped++ % 1000 === 0) logger.error({ dropped: this.dropped }, 'audit queue full (store unreachable?); dropping events');
      return false;
    }
    return true;
  }

  private push(line: string): void {
    this.lines.push(line);
    this.appended++;
    if (this.lines.length >= this.maxBatch) this.commitQuietly();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.onImmediate);
    }
  }

  private readonly onImmediate = () => {
    this.scheduled = false;
    this.commitQuietly();
  };

  private commitQuietly(): void {
    try {
      this.commit();
    } catch {
      // reported by ensureDurable() and health()
    }
  }

  /**
   * Commit everything appended: one journal write, then hand it to the sink. Throws 58030 when the
   * journal cannot be written (the lines still go to the sink, which may store them).
   */
  commit(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0] : this.lines.join('');
    const count = this.lines.length;
    this.lines = [];
    const first = this.committed;
    let journal: JournalRange | undefined;
    let failure: Error | null = null;
    if (this.journal) {
      try {
        const start = this.journal.offset;
        journal = { name: this.journal.name, start, end: this.journal.append(text) };
        this.journalError = null;
      } catch (err) {
        failure = err as Error;
        if (!this.journalError) logger.error({ err: failure.message }, 'audit journal write failed: refusing new work until it works');
        this.journalError = failure;
      }
    }
    this.committed += count;
    this.commits.push([first, Date.now()]);
    this.sink.write({ first, count, text, ...(journal ? { journal } : {}) });
    if (failure) throw auditUnavailable('the audit journal cannot be written');
  }

  /** How many events were appended so far: a caller's mark for ensureDurable(upTo). */
  get mark(): number {
    return this.appended;
  }

  /**
   * Call before a result goes back to an agent: everything appended so far (or, with `upTo`, the
   * first upTo events: the caller's own) is durable (journaled, or already stored), or this throws
   * 58030 and the result must not be sent.
   */
  ensureDurable(upTo = Infinity): void {
    if (this.lines.length && upTo > this.committed) this.commit();
    if (this.journalError && this.stored < this.committed) throw auditUnavailable('the audit journal cannot be written');
  }

  /** Whether new work must be refused: the journal fails, or the store is behind by more than the bound. */
  health(now = Date.now()): AuditHealth {
    this.overdue(now);
    const lagMs = this.commits.length ? now - this.commits[0][1] : 0;
    const pending = this.appended - this.stored;
    let reason: string | undefined;
    if (this.journalError) reason = `the audit journal cannot be written (${this.journalError.message})`;
    else if (lagMs > this.refuseAfterMs) reason = `the audit store has not accepted events for ${lagMs} ms`;
    else if (pending >= this.maxQueue) reason = 'the audit queue is full';
    return { refusing: reason !== undefined, ...(reason ? { reason } : {}), lagMs, pending, dropped: this.dropped };
  }

  /** Cheap form of health().refusing for the per-statement path. */
  get refusing(): boolean {
    return this.journalError !== null || this.overdue(Date.now());
  }

  /**
   * Whether the oldest unstored commit is older than the bound. Before saying so, the sink hands
   * over what waits and reports progress its messages have not brought yet: a caller that keeps
   * this thread busy without letting the event loop turn must not read its own delay as the store's.
   */
  private overdue(now: number): boolean {
    if (!this.commits.length || now - this.commits[0][1] <= this.refuseAfterMs) return false;
    this.sink.poll();
    return this.commits.length > 0 && now - this.commits[0][1] > this.refuseAfterMs;
  }

  /** Events dropped because the backlog was full, since the log was opened. */
  get droppedTotal(): number {
    return this.droppedEver;
  }

  /** Events appended and not yet stored. */
  get pending(): number {
    return this.appended - this.stored;
  }

  private onStored(upTo: number): void {
    this.stored = Math.max(this.stored, upTo);
    this.lastError = null;
    while (this.commits.length && this.commits[0][0] < this.stored) this.commits.shift();
    if (this.commits.length === 0 && this.dropped) this.noteDropped();
    this.waiters = this.waiters.filter((w) => (this.stored >= w.target ? (w.resolve(), false) : true));
  }

  /** Resolves when every event appended before the call is stored; rejects if the store fails meanwhile. */
  flush(): Promise<void> {
    this.commitQuietly();
    const target = this.committed;
    if (this.stored >= target) return Promise.resolve();
    this.sink.kick();
    return new Promise((resolve, reject) => this.waiters.push({ target, resolve, reject }));
  }

  /** Store what can be stored (retrying for a bounded time), then refuse further appends. Unstored events stay in the journal. */
  async close(): Promise<void> {
    if (this.closed) return;
    const deadline = Date.now() + CLOSE_BOUND_MS;
    for (;;) {
      const failed = await within(
        this.flush().then(
          () => false,
          () => true,
        ),
        Math.max(0, deadline - Date.now()),
      );
      // the overflow note, once the backlog it speaks of is stored
      if (this.dropped && this.stored >= this.committed) this.noteDropped();
      const done = this.stored >= this.committed && this.lines.length === 0;
      if (done || Date.now() >= deadline) break;
      if (failed) await new Promise((r) => setTimeout(r, 50));
    }
    this.closed = true;
    await this.sink.close();
    this.journal?.close(this.stored >= this.committed && !this.journalError);
    for (const w of this.waiters.splice(0)) w.reject(this.lastError ?? new Error('audit log closed before the events were stored'));
  }

  private noteDropped(): void {
    const dropped = this.dropped;
    this.dropped = 0;
    this.append({ type: 'error', data: { message: 'audit queue overflow; events were dropped', dropped } });
  }
}
