// The execution-queue contract shared by both backends (BullMQ on Redis, in-process),
// plus the option schema and retry schedule, so the two behave the same way.
import { z } from 'zod';
import { invalidParameterValue } from '../errors.js';
import type { Logger } from '../logger.js';

export const QUEUE_BACKENDS = ['bullmq', 'memory'] as const;
export type QueueBackend = (typeof QUEUE_BACKENDS)[number];

/** Runs the execution of one approved approval; throw to ask for a retry. */
export type ExecutionHandler = (approvalId: string) => Promise<void>;

export interface StartOptions {
  /** how many executions run at the same time in this process (default 1) */
  concurrency?: number;
  /** called once when an approval's execution failed on every attempt (e.g. to mark it `failed`) */
  onExhausted?: (approvalId: string, error: Error) => void | Promise<void>;
}

export interface ExecutionQueue {
  readonly backend: QueueBackend;
  /** enqueue execution of an approved approval; idempotent by approvalId (jobId) */
  enqueue(approvalId: string): Promise<void>;
  /** start consuming; handler may throw to signal retry; must be called once */
  start(handler: ExecutionHandler, opts?: StartOptions): Promise<void>;
  /** true when the backend can accept work now (Redis reachable); cheap, used before creating an approval */
  healthy(): Promise<boolean>;
  /** executions queued, waiting for a retry or running (metrics); rejects when the backend does not answer */
  depth(): Promise<number>;
  close(): Promise<void>;
}

const queueName = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - only (1-100 chars)');

export const queueOptionsSchema = z
  .object({
    /** redis:// or rediss:// URL; the in-process backend is used when absent */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
      .optional(),
    name: queueName,
    /** Redis key prefix (BullMQ's `prefix`) */
    prefix: queueName.default('airlock'),
    /** total tries per approval, first run included */
    attempts: z.number().int().min(1).max(100).default(5),
    /** first retry delay; doubles per attempt up to maxBackoffMs */
    backoffMs: z.number().int().nonnegative().default(1000),
    maxBackoffMs: z.number().int().nonnegative().default(60_000),
    /** BullMQ job lock; a job whose worker died is retaken after it expires */
    lockDurationMs: z.number().int().min(200).default(5000),
    /** how often BullMQ looks for jobs whose worker died */
    stalledIntervalMs: z.number().int().min(100).default(2500),
    /** how long enqueue / healthy may wait for Redis before failing */
    requestTimeoutMs: z.number().int().min(50).max(60_000).default(1500),
    /** how long close() waits for running executions before abandoning them */
    closeTimeoutMs: z.number().int().nonnegative().default(10_000),
  })
  .strict();

export type QueueOptionsInput = z.input<typeof queueOptionsSchema>;
export type QueueOptions = z.output<typeof queueOptionsSchema>;

/** Parse options with errors that name the bad key, as config errors do. */
export function parseQueueOptions(input: QueueOptionsInput): QueueOptions {
  const parsed = queueOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidParameterValue(`invalid queue option ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

// Approval ids become BullMQ job ids: no ':' (key separator) and bounded length.
const approvalIdSchema = z.string().regex(/^[^:\s]{1,200}$/);

/** Reject ids that cannot be a job id, before they reach Redis. */
export function checkApprovalId(approvalId: unknown): string {
  const parsed = approvalIdSchema.safeParse(approvalId);
  if (!parsed.success) {
    throw invalidParameterValue('approval id must be 1-200 characters without ":" or whitespace');
  }
  return parsed.data;
}

/** The retry delay after `attemptsMade` failed tries: exponential, capped, same for both backends. */
export function retryDelayMs(attemptsMade: number, opts: Pick<QueueOptions, 'backoffMs' | 'maxBackoffMs'>): number {
  const exp = opts.backoffMs * 2 ** Math.max(0, attemptsMade - 1);
  return Math.min(exp, opts.maxBackoffMs);
}

/** Check start() options the same way in both backends. */
export function checkConcurrency(concurrency: number | undefined): number {
  const n = concurrency ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw invalidParameterValue('queue concurrency must be an integer between 1 and 1000');
  }
  return n;
}

/** Turn anything a handler threw into an Error for logs and onExhausted. */
export const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** Call onExhausted without letting its failure escape into the queue loop. */
export async function notifyExhausted(opts: StartOptions, approvalId: string, err: Error, log: Logger): Promise<void> {
  if (!opts.onExhausted) return;
  try {
    await opts.onExhausted(approvalId, err);
  } catch (hookErr) {
    log.error({ approvalId, err: asError(hookErr).message }, 'onExhausted hook failed');
  }
}
