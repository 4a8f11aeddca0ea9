// The audit log callers use: append() never blocks the request path; events are batched and
// written one transaction per batch, in append order, extending the store's hash chain.
import { logger } from '../logger.js';
import { parseStoreUrl, type OpenStoreOptions } from '../store/open.js';
import type { AuditBody, Store } from '../store/store.js';
import { toAuditBody, type AuditInput } from './events.js';
import { AuditWorkerQueue } from './worker-client.js';

export interface AuditLogOptions {
  /** how long an event may wait for company before its batch is written; default 5 ms */
  flushIntervalMs?: number;
  /** events per transaction; a full batch is written at once; default 1000 */
  maxBatch?: number;
  /** events held while the store is unreachable; beyond it new events are counted and dropped */
  maxQueue?: number;
  /** progress hook (the audit worker reports with it): total events stored by this log so far */
  onStored?: (total: number) => void;
  /** failure hook: a batch could not be written and will be retried */
  onWriteFailed?: (err: Error) => void;
}

export interface AuditLogOpenOptions extends AuditLogOptions {
  /** PostgreSQL schema of the store (as for openStore) */
  schema?: string;
  /**
   * The caller's already open store: used in-thread when a worker cannot share the store
   * (sqlite::memory:) or when AIRLOCK_AUDIT_WORKER=off.
   */
  store?: Store;
  /** run the audit in a worker thread (default true, unless AIRLOCK_AUDIT_WORKER=off) */
  worker?: boolean;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 30_000;

export class AuditLog {
  private queue: AuditBody[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private enqueued = 0;
  private persisted = 0;
  private failures = 0;
  private dropped = 0;
  private closed = false;
  private readonly interval: number;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly store: Store | null;
  private readonly remote: AuditWorkerQueue | null;

  /** In-thread over an open store, or over an audit worker (see AuditLog.open). */
  constructor(
    target: Store | AuditWorkerQueue,
    private readonly opts: AuditLogOptions = {},
  ) {
    this.remote = target instanceof AuditWorkerQueue ? target : null;
    this.store = target instanceof AuditWorkerQueue ? null : target;
    this.interval = opts.flushIntervalMs ?? 5;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 1000);
    this.maxQueue = Math.max(this.maxBatch, opts.maxQueue ?? 1_000_000);
  }

  /**
   * The audit log a server should use: a worker thread with its own connection to the store at
   * storeUrl does the redaction, hashing and writes, so append() costs the caller almost nothing.
   */
  static async open(storeUrl: string, opts: AuditLogOpenOptions = {}): Promise<AuditLog> {
    const { schema, store, worker, ...logOpts } = opts;
    const memory = (() => {
      const t = parseStoreUrl(storeUrl);
      return t.kind === 'sqlite' && t.path === ':memory:';
    })();
    const threaded = (worker ?? process.env.AIRLOCK_AUDIT_WORKER !== 'off') && !memory;
    if (!threaded) {
      if (!store) throw new Error(`AuditLog.open(${memory ? 'sqlite::memory:' : 'in-thread'}) needs opts.store`);
      return new AuditLog(store, logOpts);
    }
    const maxBatch = Math.max(1, logOpts.maxBatch ?? 1000);
    const storeOptions: OpenStoreOptions = schema ? { schema, max: 2 } : { max: 2 };
    const queue = await AuditWorkerQueue.start(
      { storeUrl, storeOptions, maxBatch },
      { flushIntervalMs: logOpts.flushIntervalMs ?? 5, maxBatch, maxQueue: Math.max(maxBatch, logOpts.maxQueue ?? 1_000_000) },
    );
    return new AuditLog(queue, logOpts);
  }

  /** true when a worker thread does the audit work */
  get threaded(): boolean {
    return this.remote !== null;
  }

  /** Queue an event; it is redacted and timestamped now (threaded: stamped now, redacted within a few ms). */
  append(event: AuditInput): void {
    if (this.remote) return this.remote.append(event);
    if (this.closed) {
      logger.error({ type: event.type }, 'audit event appended after close; dropped');
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      if (this.dropped++ % 1000 === 0) logger.error({ dropped: this.dropped }, 'audit queue full (store unreachable?); dropping events');
      return;
    }
    let body: AuditBody;
    try {
      body = toAuditBody(event);
    } catch (err) {
      // A caller bug must not break the request it is auditing; record that something was lost.
      body = toAuditBody({ type: 'error', data: { message: 'unauditable event', cause: String(err), eventType: event.type } });
    }
    this.queue.push(body);
    this.enqueued++;
    if (this.failures) return; // backing off: the scheduled retry will take it
    if (this.queue.length >= this.maxBatch) this.kick(0);
    else if (!this.timer) this.kick(this.interval);
  }

  /** Events queued and not yet written. */
  get pending(): number {
    if (this.remote) return this.remote.pending;
    return this.queue.length;
  }

  /** Resolves when every event appended before the call is stored; rejects if the store fails. */
  async flush(): Promise<void> {
    if (this.remote) return this.remote.flush();
    const target = this.enqueued;
    while (this.persisted < target && (this.queue.length || this.writing)) {
      if (this.timer) (clearTimeout(this.timer), (this.timer = null));
      await this.write();
    }
  }

  /** Flush, then refuse further appends; stops retrying even when the final flush fails. */
  async close(): Promise<void> {
    if (this.remote) return this.remote.close();
    try {
      await this.flush();
    } finally {
      this.closed = true;
      if (this.timer) (clearTimeout(this.timer), (this.timer = null));
    }
  }

  private kick(delayMs: number, retry = false): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.write().catch(() => undefined); // failures are logged and retried by write()
    }, delayMs);
    // A retry must not keep a finished process (a CLI whose flush already failed) alive forever.
    if (retry) this.timer.unref();
  }

  private retryLater(err: Error): void {
    this.failures++;
    this.opts.onWriteFailed?.(err);
    const retry = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures - 1, 12));
    logger.error({ err: err.message, pending: this.queue.length, retryMs: retry }, 'audit write failed; will retry');
    if (!this.closed && this.queue.length) this.kick(retry, true);
  }

  /** The single writer: drains the queue batch by batch; concurrent callers share it. */
  private write(): Promise<void> {
    if (!this.writing) {
      const p = this.drain();
      this.writing = p;
      // Registered before any caller's await, so a settled writer is cleared before they resume.
      p.then(
        () => this.writing === p && (this.writing = null),
        (err: Error) => {
          if (this.writing === p) this.writing = null;
          this.retryLater(err);
        },
      );
    }
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.store!.appendAuditEvents(batch);
      } catch (err) {
        this.queue = batch.concat(this.queue);
        throw err;
      }
      this.persisted += batch.length;
      this.failures = 0;
      this.opts.onStored?.(this.persisted);
      if (this.dropped) this.noteDropped();
    }
  }

  private noteDropped(): void {
    const dropped = this.dropped;
    this.dropped = 0;
    this.queue.push(toAuditBody({ type: 'error', data: { message: 'audit queue overflow; events were dropped', dropped } }));
    this.enqueued++;
  }
}
