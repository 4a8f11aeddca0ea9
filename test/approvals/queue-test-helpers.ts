// Shared bits for the queue tests: polling, Redis key cleanup, a controllable handler.
import { Redis } from 'ioredis';
import { REDIS_URL } from '../helpers/env.js';

export const TEST_PREFIX = 'airlocktest';

/** Poll until cond() is true or fail after timeoutMs. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
  return Date.now() - start;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delete every Redis key BullMQ made for one test queue. */
export async function dropQueueKeys(name: string, prefix = TEST_PREFIX): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:${name}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Counts calls per approval id and tracks how many run at once. */
export class Recorder {
  readonly calls = new Map<string, number>();
  running = 0;
  maxRunning = 0;
  total = 0;

  count(id: string): number {
    return this.calls.get(id) ?? 0;
  }

  /** A handler that records the call, optionally waits, and optionally throws. */
  handler(opts: { delayMs?: number; gate?: Promise<void>; failTimes?: (id: string, call: number) => boolean } = {}) {
    return async (id: string) => {
      const call = this.count(id) + 1;
      this.calls.set(id, call);
      this.total += 1;
      this.running += 1;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      try {
        if (opts.delayMs) await sleep(opts.delayMs);
        if (opts.gate) await opts.gate;
        if (opts.failTimes?.(id, call)) throw new Error(`planned failure ${call} for ${id}`);
      } finally {
        this.running -= 1;
      }
    };
  }
}

/** A promise plus its resolve, to hold handlers until the test lets them go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A TCP proxy to Redis on a fixed local port that a test can cut and restore, to simulate an outage. */
export class FlakyRedisProxy {
  private server?: import('node:net').Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  port = 0;

  constructor(private readonly target = new URL(REDIS_URL)) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Listen (on port 0 the first time, then on the same port again). */
  async up(): Promise<void> {
    const net = await import('node:net');
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port || 6379), this.target.hostname);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as import('node:net').AddressInfo).port;
    this.server = server;
  }

  /** Stop listening and cut every open connection. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
