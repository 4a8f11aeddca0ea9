// The audit log callers use: append() never blocks the request path; events are batched and
// written one transaction per batch, in append order, extending the store's hash chain.
import { logger } from '../logger.js';
import type { AuditBody, Store } from '../store/store.js';
import { toAuditBody, type AuditInput } from './events.js';

export interface AuditLogOptions {
  /** how long an event may wait for company before its batch is written; default 5 ms */
  flushIntervalMs?: number;
  /** events per transaction; a full batch is written at once; default 1000 */
  maxBatch?: number;
  /** events held while the store is unreachable; beyond it new events are counted and dropped */
  maxQueue?: number;
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

  constructor(
    private readonly store: Store,
    opts: AuditLogOptions = {},
  ) {
    this.interval = opts.flushIntervalMs ?? 5;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 1000);
    this.maxQueue = Math.max(this.maxBatch, opts.maxQueue ?? 1_000_000);
  }

  /** Queue an event; it is redacted and timestamped now, written within a few ms. */
  append(event: AuditInput): void {
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
    return this.queue.length;
  }

  /** Resolves when every event appended before the call is stored; rejects if the store fails. */
  async flush(): Promise<void> {
    const target = this.enqueued;
    while (this.persisted < target && (this.queue.length || this.writing)) {
      if (this.timer) (clearTimeout(this.timer), (this.timer = null));
      await this.write();
    }
  }

  /** Flush, then refuse further appends; stops retrying even when the final flush fails. */
  async close(): Promise<void> {
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
        await this.store.appendAuditEvents(batch);
      } catch (err) {
        this.queue = batch.concat(this.queue);
        throw err;
      }
      this.persisted += batch.length;
      this.failures = 0;
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
