// BullMQ-only guarantees: exactly once across two gateways, recovery after a worker is
// killed with SIGKILL, and fast, clear failure when Redis is unreachable.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openQueue, type ExecutionQueue, type QueueOptionsInput } from '../../src/approvals/queue.js';
import { REDIS_URL, uniqueName } from '../helpers/env.js';
import { dropQueueKeys, FlakyRedisProxy, Recorder, sleep, TEST_PREFIX, waitFor } from './queue-test-helpers.js';

const CHILD = fileURLToPath(new URL('./queue-child-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('execution queue (bullmq only)', () => {
  const opened: ExecutionQueue[] = [];
  const names: string[] = [];
  const children: ChildProcess[] = [];

  const open = (name: string, extra: Partial<QueueOptionsInput> = {}) => {
    const q = openQueue({ redisUrl: REDIS_URL, name, prefix: TEST_PREFIX, backoffMs: 30, ...extra });
    opened.push(q);
    return q;
  };
  const newName = () => {
    const name = uniqueName('qb');
    names.push(name);
    return name;
  };

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(opened.splice(0).map((q) => q.close()));
    await Promise.all(names.splice(0).map((n) => dropQueueKeys(n)));
  });

  it('two workers on one queue handle each of 200 jobs exactly once', async () => {
    const name = newName();
    const producer = open(name);
    const gatewayA = open(name);
    const gatewayB = open(name);
    const seen = new Map<string, number>();
    const byWorker = { a: 0, b: 0 };
    const handler = (who: 'a' | 'b') => async (id: string) => {
      seen.set(id, (seen.get(id) ?? 0) + 1);
      byWorker[who] += 1;
      await sleep(Math.random() * 5);
    };
    await gatewayA.start(handler('a'), { concurrency: 4 });
    await gatewayB.start(handler('b'), { concurrency: 4 });
    const started = Date.now();
    const ids = Array.from({ length: 200 }, (_, i) => `job-${i}`);
    // every id enqueued twice, from the producer and from a gateway, as racing services would
    await Promise.all(ids.flatMap((id) => [producer.enqueue(id), gatewayA.enqueue(id)]));
    await waitFor(() => seen.size === 200, 20_000, '200 distinct jobs');
    const elapsed = Date.now() - started;
    await sleep(500);
    const counts = [...seen.values()];
    expect(counts.every((c) => c === 1)).toBe(true);
    expect(byWorker.a + byWorker.b).toBe(200);
    console.info(`[measure] 200 jobs (400 enqueues) across 2 workers in ${elapsed} ms; split a=${byWorker.a} b=${byWorker.b}`);
  });

  it('a job whose worker was killed with SIGKILL is picked up by a new worker', async () => {
    const name = newName();
    const producer = open(name);
    await producer.enqueue('survivor');

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, REDIS_URL, name, TEST_PREFIX], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AIRLOCK_LOG_LEVEL: 'silent' },
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await waitFor(() => out.includes('started survivor') || child.exitCode !== null, 20_000, 'child takes the job').catch((e: Error) => {
      throw new Error(`${e.message}; child stdout=${out} stderr=${err}`);
    });
    expect(out).toContain('started survivor');

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const killedAt = Date.now();

    const rec = new Recorder();
    const gateway = open(name, { lockDurationMs: 1000, stalledIntervalMs: 500 });
    await gateway.start(rec.handler());
    const recoveredIn = await waitFor(() => rec.count('survivor') === 1, 15_000, 'new worker retakes the job');
    await sleep(1500); // two more stalled checks: must not run it again
    expect(rec.count('survivor')).toBe(1);
    console.info(`[measure] job retaken ${Date.now() - killedAt - 1500} ms after SIGKILL (wait after start ${recoveredIn} ms)`);
  });

  it('fails fast with 08006 when Redis is unreachable, and healthy() is false', async () => {
    const q = openQueue({ redisUrl: 'redis://127.0.0.1:1', name: uniqueName('down'), prefix: TEST_PREFIX });
    opened.push(q);
    const t0 = Date.now();
    const err = await q.enqueue('nowhere').then(
      () => undefined,
      (e: unknown) => e,
    );
    const enqueueMs = Date.now() - t0;
    expect(err).toMatchObject({ name: 'AirlockError', code: '08006', httpStatus: 503 });
    // the agent-facing text is stable and hides the address; the log has the details under the request id
    expect((err as Error).message).toMatch(/execution queue is unavailable; try again shortly \(request id [0-9a-f]+\)/);
    expect((err as Error).message).not.toMatch(/127\.0\.0\.1/);
    expect(enqueueMs).toBeLessThan(2500);

    const t1 = Date.now();
    expect(await q.healthy()).toBe(false);
    const healthyMs = Date.now() - t1;
    expect(healthyMs).toBeLessThan(2500);

    // a worker on a dead Redis must not block start() or close()
    const t2 = Date.now();
    await q.start(async () => {});
    const startMs = Date.now() - t2;
    expect(startMs).toBeLessThan(2500);
    const t3 = Date.now();
    await q.close();
    expect(Date.now() - t3).toBeLessThan(2500);
    console.info(
      `[measure] unreachable Redis: enqueue rejected in ${enqueueMs} ms, healthy() in ${healthyMs} ms, start() in ${startMs} ms`,
    );
  });

  it('recovers after a Redis outage: fails fast while down, works again when back', async () => {
    const proxy = new FlakyRedisProxy();
    await proxy.up();
    const name = newName();
    const q = openQueue({ redisUrl: proxy.url, name, prefix: TEST_PREFIX, requestTimeoutMs: 1000 });
    opened.push(q);
    const rec = new Recorder();
    await q.start(rec.handler());
    await q.enqueue('before');
    await waitFor(() => rec.count('before') === 1, 5000, 'job before outage');

    await proxy.down();
    const t0 = Date.now();
    await expect(q.enqueue('during')).rejects.toMatchObject({ code: '08006' });
    const enqueueMs = Date.now() - t0;
    await sleep(50);
    const t1 = Date.now();
    expect(await q.healthy()).toBe(false);
    const healthyMs = Date.now() - t1;

    await proxy.up();
    const t2 = Date.now();
    let ok = false;
    while (!ok && Date.now() - t2 < 10_000) {
      ok = await q.healthy();
      if (!ok) await sleep(50);
    }
    expect(ok).toBe(true);
    const backMs = Date.now() - t2;
    await q.enqueue('after');
    await waitFor(() => rec.count('after') === 1, 15_000, 'worker processes after outage');
    await proxy.down();
    console.info(
      `[measure] outage: enqueue rejected in ${enqueueMs} ms, healthy() false in ${healthyMs} ms, healthy again ${backMs} ms after Redis returned, worker resumed`,
    );
  });

  it('a worker started while Redis is down starts working when Redis comes up', async () => {
    const proxy = new FlakyRedisProxy();
    await proxy.up();
    await proxy.down(); // the port is known but nothing listens yet
    const name = newName();
    const q = openQueue({ redisUrl: proxy.url, name, prefix: TEST_PREFIX, requestTimeoutMs: 500 });
    opened.push(q);
    const rec = new Recorder();
    const t0 = Date.now();
    await q.start(rec.handler());
    expect(Date.now() - t0).toBeLessThan(1500);
    await sleep(1500); // several failed connection attempts
    await proxy.up();
    const t1 = Date.now();
    while (!(await q.healthy()) && Date.now() - t1 < 10_000) await sleep(50);
    await q.enqueue('late');
    await waitFor(() => rec.count('late') === 1, 15_000, 'job handled by the late worker');
    console.info(`[measure] worker started before Redis: first job handled ${Date.now() - t1} ms after Redis came up`);
    await q.close();
    await proxy.down();
  });

  it('never leaks the Redis password into errors', async () => {
    const q = openQueue({
      redisUrl: 'redis://user:hunter2secret@127.0.0.1:1',
      name: uniqueName('pw'),
      prefix: TEST_PREFIX,
      requestTimeoutMs: 300,
    });
    opened.push(q);
    const err = (await q.enqueue('x').catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain('hunter2');
  });
});
