// Both queue backends must behave the same: once per id, dedupe while queued/running,
// retries with backoff, concurrency, and clear errors on misuse.
import { afterEach, describe, expect, it } from 'vitest';
import { openQueue, type ExecutionQueue, type QueueOptionsInput } from '../../src/approvals/queue.js';
import { AirlockError } from '../../src/errors.js';
import { REDIS_URL, uniqueName } from '../helpers/env.js';
import { dropQueueKeys, gate, Recorder, sleep, TEST_PREFIX, waitFor } from './queue-test-helpers.js';

const BACKENDS = [
  { backend: 'memory', redisUrl: undefined },
  { backend: 'bullmq', redisUrl: REDIS_URL },
] as const;

describe.each(BACKENDS)('execution queue ($backend)', ({ backend, redisUrl }) => {
  const opened: ExecutionQueue[] = [];
  const names: string[] = [];

  const open = (extra: Partial<QueueOptionsInput> = {}) => {
    const name = extra.name ?? uniqueName('q');
    names.push(name);
    const q = openQueue({ redisUrl, name, prefix: TEST_PREFIX, backoffMs: 30, maxBackoffMs: 200, ...extra });
    opened.push(q);
    return q;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((q) => q.close()));
    if (redisUrl) await Promise.all(names.splice(0).map((n) => dropQueueKeys(n)));
  });

  it('picks the expected backend and is healthy', async () => {
    const q = open();
    expect(q.backend).toBe(backend);
    expect(await q.healthy()).toBe(true);
  });

  it('calls the handler once per enqueued approval', async () => {
    const q = open();
    const rec = new Recorder();
    await q.start(rec.handler());
    await q.enqueue('ap-1');
    await waitFor(() => rec.count('ap-1') === 1, 5000, 'ap-1 handled');
    await sleep(200);
    expect(rec.count('ap-1')).toBe(1);
  });

  it('runs jobs enqueued before start()', async () => {
    const q = open();
    const rec = new Recorder();
    await q.enqueue('early-1');
    await q.enqueue('early-2');
    await q.start(rec.handler());
    await waitFor(() => rec.total === 2, 5000, 'both early jobs');
    expect([rec.count('early-1'), rec.count('early-2')]).toEqual([1, 1]);
  });

  it('handles the same id enqueued twice (queued, then running) once', async () => {
    const q = open();
    const rec = new Recorder();
    const hold = gate();
    await q.enqueue('dup');
    await q.enqueue('dup');
    await q.start(rec.handler({ gate: hold.promise }));
    await waitFor(() => rec.count('dup') === 1, 5000, 'dup running');
    await q.enqueue('dup'); // while running
    hold.open();
    await sleep(300);
    expect(rec.count('dup')).toBe(1);
  });

  it('runs an id again when enqueued after it completed (re-approval after drift)', async () => {
    const q = open();
    const rec = new Recorder();
    await q.start(rec.handler());
    await q.enqueue('again');
    await waitFor(() => rec.count('again') === 1, 5000);
    await sleep(100); // let BullMQ remove the completed job
    await q.enqueue('again');
    await waitFor(() => rec.count('again') === 2, 5000, 'second run');
  });

  it('retries a handler that throws once', async () => {
    const q = open();
    const rec = new Recorder();
    await q.start(rec.handler({ failTimes: (_id, call) => call === 1 }));
    await q.enqueue('flaky');
    await waitFor(() => rec.count('flaky') === 2, 5000, 'retry');
    await sleep(200);
    expect(rec.count('flaky')).toBe(2);
  });

  it('stops after `attempts` tries and reports it once via onExhausted', async () => {
    const q = open({ attempts: 3 });
    const rec = new Recorder();
    const exhausted: [string, string][] = [];
    await q.start(rec.handler({ failTimes: () => true }), {
      onExhausted: (id, err) => {
        exhausted.push([id, err.message]);
      },
    });
    await q.enqueue('doomed');
    await waitFor(() => exhausted.length === 1, 5000, 'exhausted');
    await sleep(300);
    expect(rec.count('doomed')).toBe(3);
    expect(exhausted).toEqual([['doomed', 'planned failure 3 for doomed']]);
  });

  it('runs at most `concurrency` handlers at once', async () => {
    const q = open();
    const rec = new Recorder();
    await q.start(rec.handler({ delayMs: 100 }), { concurrency: 3 });
    for (let i = 0; i < 9; i++) await q.enqueue(`c-${i}`);
    await waitFor(() => rec.total === 9, 10_000, 'nine jobs');
    expect(rec.maxRunning).toBe(3);
  });

  it('rejects bad ids, a second start() and use after close() with SQLSTATE errors', async () => {
    const q = open();
    await expect(q.enqueue('a:b')).rejects.toMatchObject({ code: '22023' });
    await expect(q.enqueue('')).rejects.toMatchObject({ code: '22023' });
    await expect(q.enqueue(42 as unknown as string)).rejects.toBeInstanceOf(AirlockError);
    await q.start(async () => {});
    await expect(q.start(async () => {})).rejects.toMatchObject({ code: '55000' });
    await q.close();
    await expect(q.enqueue('late')).rejects.toMatchObject({ code: '55000' });
    expect(await q.healthy()).toBe(false);
  });

  it('close() waits for a running handler to finish', async () => {
    const q = open();
    let finished = false;
    await q.start(async () => {
      await sleep(200);
      finished = true;
    });
    await q.enqueue('slow');
    await sleep(50);
    await q.close();
    expect(finished).toBe(true);
  });

  it('close() gives up on a hanging handler after closeTimeoutMs', async () => {
    const q = open({ closeTimeoutMs: 300 });
    const rec = new Recorder();
    await q.start(rec.handler({ gate: new Promise<void>(() => {}) }));
    await q.enqueue('stuck');
    await waitFor(() => rec.count('stuck') === 1, 5000);
    const t0 = Date.now();
    await q.close();
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2000);
  });
});

describe('openQueue options', () => {
  it('names the bad key', () => {
    expect(() => openQueue({ name: 'bad name' })).toThrow(/invalid queue option name/);
    expect(() => openQueue({ name: 'ok', redisUrl: 'http://x' })).toThrow(/redisUrl/);
    expect(() => openQueue({ name: 'ok', attempts: 0 })).toThrow(/attempts/);
  });

  it('treats an empty REDIS_URL as no Redis', async () => {
    const q = openQueue({ name: 'ok', redisUrl: '' });
    expect(q.backend).toBe('memory');
    await q.close();
  });
});
