// The one entry point the approval service uses for execution queues: BullMQ when a Redis
// URL is configured (durable, shared by several gateways), in-process otherwise.
import { BullmqExecutionQueue } from './queue-bullmq.js';
import { MemoryExecutionQueue } from './queue-memory.js';
import { parseQueueOptions, type ExecutionQueue, type QueueOptionsInput } from './queue-types.js';

export type { ExecutionHandler, ExecutionQueue, QueueBackend, QueueOptions, QueueOptionsInput, StartOptions } from './queue-types.js';
export { QUEUE_BACKENDS, queueOptionsSchema } from './queue-types.js';

/** Pick the backend from the config: Redis URL → BullMQ, none → in-process. Throws 22023 on bad options. */
export function openQueue(input: QueueOptionsInput): ExecutionQueue {
  // REDIS_URL= (set but empty) means no Redis, not a bad URL
  const opts = parseQueueOptions(input.redisUrl === '' ? { ...input, redisUrl: undefined } : input);
  if (opts.redisUrl) return new BullmqExecutionQueue({ ...opts, redisUrl: opts.redisUrl });
  return new MemoryExecutionQueue(opts);
}
