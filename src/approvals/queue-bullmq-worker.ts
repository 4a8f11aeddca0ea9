// Keeps one BullMQ Worker alive for the gateway. A Worker whose first connection fails
// never recovers on its own, so it is created only once Redis is reachable and is
// recreated if it still fails to connect: a gateway may start before Redis does.
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { asError, retryDelayMs, type QueueOptions } from './queue-types.js';
import { raceTimeout } from '../domain/race-timeout.js';

export interface JobData {
  approvalId: string;
}

/** a job may lose its worker (crash, kill -9) this many times before BullMQ fails it */
const MAX_STALLED = 2;
const RECREATE_DELAY_MS = 1000;

export interface SupervisedWorkerConfig {
  opts: QueueOptions & { redisUrl: string };
  concurrency: number;
  processor: (job: Job<JobData>) => Promise<void>;
  /** resolves when the producer connection is ready, i.e. Redis is reachable */
  whenReachable: () => Promise<void>;
  log: Logger;
  onError: (err: unknown) => void;
}

export class SupervisedWorker {
  private worker?: Worker<JobData>;
  private template?: Redis;
  private stopped = false;
  private readonly wakers = new Set<() => void>();
  private markReady: () => void = () => {};
  /** resolves when the first Worker is connected */
  readonly ready = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });

  constructor(private readonly cfg: SupervisedWorkerConfig) {}

  /** Start the supervision loop in the background. */
  run(): void {
    this.loop().catch((err: unknown) => this.cfg.log.error({ err: asError(err).message }, 'worker supervisor crashed'));
  }

  /** Stop fetching new jobs, give running ones `graceMs` via waitRunning, then close. */
  async stop(waitRunning: () => Promise<void>, graceMs: number): Promise<void> {
    this.stopped = true;
    for (const wake of [...this.wakers]) wake();
    const worker = this.worker;
    if (worker) {
      await raceTimeout(worker.pause(true), graceMs).catch(() => undefined);
      await waitRunning();
    }
    await this.dispose();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.interruptible(this.cfg.whenReachable());
      if (this.stopped) return;
      const worker = this.create();
      try {
        await worker.waitUntilReady();
        if (this.stopped) return;
        this.cfg.log.info('worker connected');
        this.markReady();
        return;
      } catch (err) {
        if (this.stopped) return;
        this.cfg.log.warn({ err: asError(err).message }, 'worker could not connect, recreating it');
        await this.dispose();
        await this.interruptible(new Promise<void>((resolve) => setTimeout(resolve, RECREATE_DELAY_MS)));
      }
    }
  }

  private create(): Worker<JobData> {
    const { opts } = this.cfg;
    // BullMQ duplicates this client for its own connections; the template itself never connects
    this.template = new Redis(opts.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      retryStrategy: (times: number) => Math.min(250 * times, 5000),
    });
    const worker = new Worker<JobData>(opts.name, this.cfg.processor, {
      connection: this.template,
      prefix: opts.prefix,
      concurrency: this.cfg.concurrency,
      lockDuration: opts.lockDurationMs,
      stalledInterval: opts.stalledIntervalMs,
      maxStalledCount: MAX_STALLED,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade, opts) },
    });
    worker.on('error', this.cfg.onError);
    worker.on('stalled', (jobId) => this.cfg.log.warn({ approvalId: jobId }, 'execution lost its worker, requeued'));
    this.worker = worker;
    return worker;
  }

  private async dispose(): Promise<void> {
    const worker = this.worker;
    const template = this.template;
    this.worker = undefined;
    this.template = undefined;
    if (worker) await worker.close(true).catch((err: unknown) => this.cfg.log.warn({ err: asError(err).message }, 'worker close'));
    template?.disconnect();
  }

  /** Wait for p, or until stop() is called. */
  private interruptible(p: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.wakers.delete(wake);
        resolve();
      };
      this.wakers.add(wake);
      p.then(wake, wake);
    });
  }
}
