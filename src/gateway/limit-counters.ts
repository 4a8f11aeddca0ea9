// The counters behind the per-agent rates and budgets (limits.ts): rate-limiter-flexible limiters,
// in this process's memory, or in Redis when redis.url (REDIS_URL) is set so that every gateway
// sharing the Redis counts together. A Redis that does not answer falls back to counting in memory
// (insurance limiter) rather than refusing or waving everything through.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { Rate } from '../domain/limits.js';
import { logger } from '../logger.js';

/** how long start-up waits for Redis before counting in memory until it answers */
const REDIS_READY_MS = 2000;

/** A rejected consume: points over the limit (RateLimiterRes), never a store error (insured). */
export const isOver = (err: unknown): err is RateLimiterRes => err instanceof RateLimiterRes;

export class LimitCounters {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  private constructor(
    private readonly redis: Redis | null,
    private readonly prefix: string,
  ) {}

  /** Counters in Redis when a URL is given (waits briefly for it), else in memory. */
  static async open(redisUrl: string | undefined, prefix: string): Promise<LimitCounters> {
    if (!redisUrl) return new LimitCounters(null, prefix);
    const { Redis } = await import('ioredis');
    const client = new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    let warned = false;
    client.on('error', (err: Error) => {
      if (!warned) logger.warn({ err: err.message }, 'limits: Redis unavailable; rates are counted in this process until it is back');
      warned = true;
    });
    client.on('ready', () => (warned = false));
    await Promise.race([client.connect().catch(() => undefined), new Promise((r) => setTimeout(r, REDIS_READY_MS).unref())]);
    return new LimitCounters(client, prefix);
  }

  get shared(): boolean {
    return this.redis !== null;
  }

  /** The limiter of one kind of count (requests, ask, rows) with this limit and window. */
  limiter(kind: string, rate: Rate): RateLimiterAbstract {
    const id = `${kind}:${rate.limit}:${rate.windowSeconds}`;
    let l = this.limiters.get(id);
    if (!l) {
      const opts = { keyPrefix: `${this.prefix}:${kind}`, points: rate.limit, duration: rate.windowSeconds };
      l = this.redis
        ? new RateLimiterRedis({
            ...opts,
            storeClient: this.redis,
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory(opts),
          })
        : new RateLimiterMemory(opts);
      this.limiters.set(id, l);
    }
    return l;
  }

  async close(): Promise<void> {
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}
