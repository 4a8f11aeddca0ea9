// Execution queue on Redis via BullMQ, so approved executions survive restarts and run once
// across several gateways. The request path (enqueue, healthy) uses its own connection that
// fails fast when Redis is down; the Worker (queue-bullmq-worker.ts) keeps trying in the background.
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { AirlockError, SqlState, hiddenFailure, notInPrerequisiteState } from '../errors.js';
import { logger, type Logger } from '../logger.js';
import { SupervisedWorker, type JobData } from './queue-bullmq-worker.js';
import {
  asError,
  checkApprovalId,
  checkConcurrency,
  notifyExhausted,
  type ExecutionHandler,
  type ExecutionQueue,
  type QueueOptions,
  type StartOptions,
} from './queue-types.js';
import { raceTimeout } from '../domain/race-timeout.js';

const JOB_NAME = 'execute';
const BACKOFF_TYPE = 'airlock-capped';

/** host:port of a Redis URL, for messages: never the password. */
export function redisTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'redis';
  }
}

/** Log a recurring connection error once, then at most every 30 s with a count. */
function throttledWarn(log: Logger, what: string): (err: unknown) => void {
  let last = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < 30_000) {
      suppressed += 1;
      return;
    }
    log.warn({ err: asError(err).message, suppressed }, what);
    last = now;
    suppressed = 0;
  };
}

export class BullmqExecutionQueue implements ExecutionQueue {
  readonly backend = 'bullmq' as const;
  private readonly log: Logger;
  private readonly target: string;
  /** request-path connection: no offline queue, one retry, short connect timeout */
  private readonly client: Redis;
  private readonly queue: Queue<JobData>;
  private worker?: SupervisedWorker;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private readyWaiter?: Promise<void>;
  /** last connection error since the producer was last ready: Redis is known to be down */
  private downReason?: string;

  constructor(private readonly opts: QueueOptions & { redisUrl: string }) {
    this.target = redisTarget(opts.redisUrl);
    this.log = logger.child({ component: 'queue', backend: 'bullmq', queue: opts.name, redis: this.target });
    this.client = new Redis(opts.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: opts.requestTimeoutMs,
      // keep trying in the background so healthy() turns true again when Redis returns
      retryStrategy: (times: number) => Math.min(100 * 2 ** times, 2000),
      connectionName: `airlock:${opts.name}:producer`,
    });
    const warn = throttledWarn(this.log, 'redis connection error (queue producer)');
    this.client.on('error', (err: Error) => {
      this.downReason = err.message;
      warn(err);
    });
    this.client.on('ready', () => {
      if (this.downReason) this.log.info('redis reachable again');
      this.downReason = undefined;
    });
    this.queue = new Queue<JobData>(opts.name, { connection: this.client, prefix: opts.prefix });
    this.queue.on('error', throttledWarn(this.log, 'queue error'));
  }

  /** Add the approval's job once (jobId = approvalId); rejects fast with 08006 when Redis is down. */
  async enqueue(approvalId: string): Promise<void> {
    const id = checkApprovalId(approvalId);
    if (this.closed) throw notInPrerequisiteState('execution queue is closed');
    await this.withinDeadline('enqueue', async () => {
      await this.queue.add(
        JOB_NAME,
        { approvalId: id },
        {
          jobId: id,
          attempts: this.opts.attempts,
          backoff: { type: BACKOFF_TYPE, delay: this.opts.backoffMs },
          removeOnComplete: true,
          removeOnFail: true,
        },
      );
    });
  }

  /** Start consuming; returns once the worker is connected, or after the request timeout while it keeps trying. */
  async start(handler: ExecutionHandler, opts: StartOptions = {}): Promise<void> {
    if (this.closed) throw notInPrerequisiteState('execution queue is closed');
    if (this.worker) throw notInPrerequisiteState('execution queue already started');
    const worker = new SupervisedWorker({
      opts: this.opts,
      concurrency: checkConcurrency(opts.concurrency),
      processor: (job) => this.process(job, handler, opts),
      whenReachable: () => this.whenReady(),
      log: this.log,
      onError: throttledWarn(this.log, 'worker error (will keep reconnecting)'),
    });
    this.worker = worker;
    worker.run();
    const ready = await raceTimeout(worker.ready, this.opts.requestTimeoutMs);
    if (ready === 'timeout') this.log.warn('redis unreachable: worker keeps trying in the background');
  }

  /** Redis answers a PING within the request timeout; false at once while known down. Never throws. */
  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    if (this.client.status !== 'ready' && this.downReason) return false;
    try {
      await this.withinDeadline('health check', async () => {
        await this.client.ping();
      });
      return true;
    } catch {
      return false;
    }
  }

  /** Jobs not finished yet (waiting, delayed for a retry, running), within the request timeout. */
  async depth(): Promise<number> {
    // while Redis is known down a scrape says so without logging a hidden failure each time
    if (this.client.status !== 'ready') throw new Error(`redis is ${this.client.status}`);
    let n = 0;
    await this.withinDeadline('depth', async () => {
      const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      n = Object.values(counts).reduce((a, b) => a + b, 0);
    });
    return n;
  }

  /** Stop fetching, wait (bounded) for running executions, then close all connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker?.stop(async () => {
      if (this.inFlight.size === 0) return;
      const done = await raceTimeout(Promise.allSettled([...this.inFlight]), this.opts.closeTimeoutMs);
      // an abandoned job keeps its lock until it expires, then another worker retakes it
      if (done === 'timeout') this.log.warn({ running: this.inFlight.size }, 'closing with executions still running');
    }, this.opts.closeTimeoutMs);
    await this.queue.close().catch((err: unknown) => this.log.warn({ err: asError(err).message }, 'queue close'));
    this.client.disconnect();
  }

  private async process(job: Job<JobData>, handler: ExecutionHandler, opts: StartOptions): Promise<void> {
    const approvalId = job.data.approvalId;
    const run = (async () => {
      try {
        await handler(approvalId);
      } catch (thrown) {
        const err = asError(thrown);
        const attempts = job.opts.attempts ?? 1;
        if (job.attemptsMade + 1 >= attempts) {
          this.log.error({ approvalId, attempts, err: err.message }, 'execution failed on every attempt');
          await notifyExhausted(opts, approvalId, err, this.log);
        } else {
          this.log.warn({ approvalId, attempt: job.attemptsMade + 1, err: err.message }, 'execution failed, retrying');
        }
        throw err;
      }
    })();
    const tracked = run.catch(() => undefined);
    this.inFlight.add(tracked);
    try {
      await run;
    } finally {
      this.inFlight.delete(tracked);
    }
  }

  /** One shared 'ready' listener however many requests wait during an outage. */
  private whenReady(): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    this.readyWaiter ??= new Promise<void>((resolve) => {
      this.client.once('ready', () => {
        this.readyWaiter = undefined;
        resolve();
      });
    });
    return this.readyWaiter;
  }

  /** Wait for the producer connection and run fn, all within requestTimeoutMs, else 08006. */
  private async withinDeadline(what: string, fn: () => Promise<void>): Promise<void> {
    const deadline = this.opts.requestTimeoutMs;
    const unavailable = (why: string) =>
      hiddenFailure('the execution queue is unavailable', SqlState.connectionFailure, 503, { what, redis: this.target, why });
    if (this.client.status === 'end') throw unavailable('connection is closed');
    let outcome: { value: void } | 'timeout';
    try {
      outcome = await raceTimeout(
        (async () => {
          await this.whenReady();
          await fn();
        })(),
        deadline,
      );
    } catch (err) {
      if (err instanceof AirlockError) throw err;
      throw unavailable(`failed: ${asError(err).message}`);
    }
    if (outcome === 'timeout') {
      throw unavailable(`did not answer within ${deadline} ms (${this.client.status}${this.downReason ? `: ${this.downReason}` : ''})`);
    }
  }
}
