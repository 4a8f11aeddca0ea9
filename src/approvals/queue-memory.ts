// In-process execution queue for the embedded default (no Redis). Same semantics as the
// BullMQ backend: dedupe by approval id while queued/running, concurrency, capped
// exponential retries. Nothing is kept on disk: after a restart the approval service
// re-enqueues approved-but-not-executed approvals from the store.
import { notInPrerequisiteState } from '../errors.js';
import { logger } from '../logger.js';
import {
  asError,
  checkApprovalId,
  checkConcurrency,
  notifyExhausted,
  retryDelayMs,
  type ExecutionHandler,
  type ExecutionQueue,
  type QueueOptions,
  type StartOptions,
} from './queue-types.js';
import { raceTimeout } from '../domain/race-timeout.js';

interface Entry {
  attemptsMade: number;
  /** pending retry timer while the entry waits for its backoff */
  timer?: NodeJS.Timeout;
}

export class MemoryExecutionQueue implements ExecutionQueue {
  readonly backend = 'memory' as const;
  private readonly log = logger.child({ component: 'queue', backend: 'memory' });
  /** every approval id queued, waiting for a retry, or running */
  private readonly known = new Map<string, Entry>();
  private readonly ready: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private handler?: ExecutionHandler;
  private startOpts: StartOptions = {};
  private concurrency = 1;
  private closed = false;

  constructor(private readonly opts: QueueOptions) {}

  /** Queue an approval once; a second call while it is queued or running is a no-op. */
  async enqueue(approvalId: string): Promise<void> {
    const id = checkApprovalId(approvalId);
    if (this.closed) throw notInPrerequisiteState('execution queue is closed');
    if (this.known.has(id)) return;
    this.known.set(id, { attemptsMade: 0 });
    this.ready.push(id);
    this.pump();
  }

  /** Begin running queued approvals with the given handler. */
  async start(handler: ExecutionHandler, opts: StartOptions = {}): Promise<void> {
    if (this.closed) throw notInPrerequisiteState('execution queue is closed');
    if (this.handler) throw notInPrerequisiteState('execution queue already started');
    this.concurrency = checkConcurrency(opts.concurrency);
    this.handler = handler;
    this.startOpts = opts;
    this.pump();
  }

  /** An in-process queue can always take work until it is closed. */
  async healthy(): Promise<boolean> {
    return !this.closed;
  }

  /** Every approval queued, waiting for a retry, or running. */
  async depth(): Promise<number> {
    return this.known.size;
  }

  /** Stop taking work, drop pending retries, wait (bounded) for running executions. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.known.values()) if (entry.timer) clearTimeout(entry.timer);
    this.ready.length = 0;
    if (this.inFlight.size > 0) {
      const done = await raceTimeout(Promise.allSettled([...this.inFlight]), this.opts.closeTimeoutMs);
      if (done === 'timeout') this.log.warn({ running: this.inFlight.size }, 'queue closed with executions still running');
    }
    this.known.clear();
  }

  private pump(): void {
    if (!this.handler || this.closed) return;
    while (this.inFlight.size < this.concurrency && this.ready.length > 0) {
      const id = this.ready.shift() as string;
      const entry = this.known.get(id);
      if (!entry) continue;
      const run = this.run(id, entry, this.handler).finally(() => {
        this.inFlight.delete(run);
        this.pump();
      });
      this.inFlight.add(run);
    }
  }

  private async run(id: string, entry: Entry, handler: ExecutionHandler): Promise<void> {
    try {
      await handler(id);
      this.known.delete(id);
    } catch (thrown) {
      const err = asError(thrown);
      entry.attemptsMade += 1;
      if (this.closed) return;
      if (entry.attemptsMade < this.opts.attempts) {
        const delay = retryDelayMs(entry.attemptsMade, this.opts);
        this.log.warn({ approvalId: id, attempt: entry.attemptsMade, delay, err: err.message }, 'execution failed, retrying');
        entry.timer = setTimeout(() => {
          entry.timer = undefined;
          if (this.closed) return;
          this.ready.push(id);
          this.pump();
        }, delay);
        return;
      }
      this.known.delete(id);
      this.log.error({ approvalId: id, attempts: entry.attemptsMade, err: err.message }, 'execution failed on every attempt');
      await notifyExhausted(this.startOpts, id, err, this.log);
    }
  }
}
