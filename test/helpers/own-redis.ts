// A private redis-server for fault tests (a free port, nothing saved to disk): tests may stop and
// start it without touching the machine's shared Redis. Restarted on the same port, it is empty.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './own-cluster.js';

export interface OwnRedis {
  port: number;
  url: string;
  /** start redis-server on the port (again) and wait until it answers PING */
  start(): Promise<void>;
  /** SIGKILL, as a crash would: no goodbye to clients; resolves once the process is gone */
  stop(): Promise<void>;
}

async function answers(port: number): Promise<boolean> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 500,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  let log = '';
  const own: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    start: async () => {
      if (child) return;
      log = '';
      const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      c.stdout!.on('data', (b: Buffer) => (log += b.toString()));
      c.stderr!.on('data', (b: Buffer) => (log += b.toString()));
      const deadline = Date.now() + 15_000;
      while (!(await answers(port))) {
        if (c.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on ${port} did not start:\n${log}`);
        await sleep(50);
      }
    },
    stop: async () => {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await exited;
    },
  };
  await own.start();
  return own;
}
