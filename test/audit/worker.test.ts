import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, verifyChain, type AuditInput } from '../../src/audit/index.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { TARGETS, type StoreTarget } from '../store/fixtures.js';
import { setDataText, storedAuditText } from '../store/audit-tamper.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const event = (i: number, over: Partial<AuditInput> = {}): AuditInput => ({
  type: 'decision',
  agent: 'gw',
  door: 'wire',
  decision: 'auto',
  requestId: String(i),
  data: { i, sql: `SELECT ${i}`, tables: ['public.t'] },
  ...over,
});

const waitFor = async (cond: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
};

describe.each(TARGETS)('threaded AuditLog on $kind', ({ make }) => {
  let target: StoreTarget;
  let store: Store;
  const logs: AuditLog[] = [];
  const open = async (opts: Parameters<typeof AuditLog.open>[1] = {}) => {
    const log = await AuditLog.open(target.url, opts);
    logs.push(log);
    return log;
  };
  beforeEach(async () => {
    target = await make();
    store = await target.open();
  });
  afterEach(async () => {
    await Promise.all(logs.splice(0).map((l) => l.close().catch(() => undefined)));
    await target.cleanup();
  });

  it('keeps append order across many batches and the chain verifies; tampering is still found', async () => {
    const log = await open({ maxBatch: 37 });
    expect(log.threaded).toBe(true);
    const n = 5000;
    for (let i = 0; i < n; i++) {
      log.append(event(i));
      if (i % 700 === 0) await new Promise((r) => setTimeout(r, 3));
    }
    await log.flush();
    expect(log.pending).toBe(0);
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: n });
    const all = await store.listAudit({ order: 'asc', limit: n });
    expect(all.map((e) => Number(e.request_id))).toEqual(Array.from({ length: n }, (_, i) => i));
    await setDataText(target, 1234, JSON.stringify({ i: 0 }));
    expect(await verifyChain(store)).toMatchObject({ ok: false, firstBrokenSeq: 1234, count: 1233 });
  });

  it('flush resolves only when everything appended before it is stored', async () => {
    const log = await open();
    for (let i = 0; i < 300; i++) log.append(event(i));
    expect(log.pending).toBe(300);
    const first = log.flush();
    for (let i = 300; i < 310; i++) log.append(event(i));
    await first;
    expect((await store.listAudit({ limit: 1000 })).length).toBeGreaterThanOrEqual(300);
    await log.flush();
    expect((await store.listAudit({ limit: 1000 })).length).toBe(310);
    await log.flush(); // nothing pending: resolves at once
  });

  it('redacts secrets, snapshots odd values, and keeps awkward text verifiable', async () => {
    const log = await open();
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    log.append(
      event(1, {
        data: {
          user: 'bob',
          password: 'hunter2',
          headers: { Authorization: 'Bearer abc', accept: 'json' },
          list: [{ apiKey: 'k', ok: 1 }],
        },
      }),
    );
    log.append(event(2, { data: { fn: () => 1, big: 12n, when: new Date(0), cyclic, map: new Map([['a', 1]]) } })); // not cloneable: the main thread snapshots
    log.append(event(3, { agent: 'a\u0000b', data: { s: 'nul\u0000 😀', blob: 'x'.repeat(300_000) } }));
    log.append(event(4, { data: { big: 7n, cyclic, bytes: Buffer.from('abc') } })); // cloneable, redacted in the worker
    await log.flush();
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 4 });
    const text = await storedAuditText(target);
    expect(text).toContain('"user":"bob"');
    for (const secret of ['hunter2', 'Bearer abc', '"k"']) expect(text).not.toContain(secret);
    const [e1, e2, e3, e4] = await store.listAudit({ order: 'asc' });
    expect(e1.data).toEqual({ user: 'bob', headers: { accept: 'json' }, list: [{ ok: 1 }] });
    expect(e2.data).toEqual({ big: '12', when: '1970-01-01T00:00:00.000Z', cyclic: { name: 'c', self: '[circular]' }, map: { a: 1 } });
    expect(e3.agent).toBe('a\uFFFDb');
    expect(e3.data).toMatchObject({ $truncated: true });
    expect(e4.data).toEqual({ big: '7', cyclic: { name: 'c', self: '[circular]' }, bytes: { $bytes: 3 } });
  });

  it('stamps events at append time, not when the worker gets them', async () => {
    const log = await open();
    const before = Date.now();
    log.append(event(1));
    log.append(event(2, { ts: 42 }));
    await log.flush();
    const [a, b] = await store.listAudit({ order: 'asc' });
    expect(a.ts).toBeGreaterThanOrEqual(before);
    expect(a.ts).toBeLessThan(before + 100);
    expect(b.ts).toBe(42);
  });

  it('holds events while the store fails, reports it from flush, then catches up', async () => {
    const log = await open({ maxBatch: 10 });
    for (let i = 0; i < 5; i++) log.append(event(i, { requestId: `before-${i}` }));
    await log.flush();
    await target.raw('ALTER TABLE audit_blocks RENAME TO audit_blocks_away');
    for (let i = 0; i < 25; i++) log.append(event(i, { requestId: `during-${i}` }));
    await expect(log.flush()).rejects.toThrow(/audit_blocks/);
    expect(log.pending).toBe(25);
    await target.raw('ALTER TABLE audit_blocks_away RENAME TO audit_blocks');
    await waitFor(() => log.pending === 0); // the worker's background retry
    expect(log.pending).toBe(0);
    await log.flush();
    const ids = (await store.listAudit({ order: 'asc' })).map((e) => e.request_id);
    expect(ids).toEqual([...Array.from({ length: 5 }, (_, i) => `before-${i}`), ...Array.from({ length: 25 }, (_, i) => `during-${i}`)]);
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 30 });
  });

  it('reads lag from the store, not from an event loop kept busy: refused only while the store is really down', async () => {
    const log = await open({ refuseAfterMs: 200 });
    // one audited request per ms, in promise callbacks that never let the event loop turn (an
    // in-process MCP client does this), for several times the bound
    const busyFor = async (ms: number) => {
      let refused = 0;
      let n = 0;
      for (const until = Date.now() + ms; Date.now() < until;) {
        for (const spin = Date.now() + 1; Date.now() < spin;);
        log.append(event(n++));
        log.ensureDurable();
        if (log.refusing) refused++;
        await Promise.resolve();
      }
      return { refused, n, health: log.health() };
    };
    const healthy = await busyFor(1000);
    expect(healthy.n).toBeGreaterThan(200);
    expect(healthy).toMatchObject({ refused: 0, health: { refusing: false } });
    await log.flush();
    await target.raw('ALTER TABLE audit_blocks RENAME TO audit_blocks_away');
    const down = await busyFor(1000);
    expect(down.refused).toBeGreaterThan(0);
    expect(down.health).toMatchObject({ refusing: true, reason: expect.stringMatching(/has not accepted events/) });
    await target.raw('ALTER TABLE audit_blocks_away RENAME TO audit_blocks');
    await waitFor(() => log.pending === 0); // the worker's background retry
    expect(log.health().refusing).toBe(false);
  });

  it('drops beyond maxQueue while the store is down and records how many were lost', async () => {
    const log = await open({ maxBatch: 10, maxQueue: 20 });
    await target.raw('ALTER TABLE audit_blocks RENAME TO audit_blocks_away');
    for (let i = 0; i < 35; i++) log.append(event(i));
    expect(log.pending).toBe(20);
    await expect(log.flush()).rejects.toThrow();
    await target.raw('ALTER TABLE audit_blocks_away RENAME TO audit_blocks');
    await log.close();
    const events = await store.listAudit({ order: 'asc' });
    expect(events.length).toBe(21);
    expect(events[20]).toMatchObject({ type: 'error', data: { dropped: 15 } });
    log.append(event(99)); // after close: dropped with a log line, never thrown
    expect(log.pending).toBe(0);
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 21 });
  });

  it('two threaded logs (two gateways) on one store keep one valid chain', async () => {
    const a = await open({ maxBatch: 50 });
    const b = await open({ maxBatch: 50 });
    const n = 3000;
    for (let i = 0; i < n; i++) {
      a.append(event(i, { agent: 'gw-a' }));
      b.append(event(i, { agent: 'gw-b' }));
      if (i % 100 === 99) await Promise.all([a.flush(), b.flush()]);
    }
    await Promise.all([a.flush(), b.flush()]);
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 2 * n });
    const all = await store.listAudit({ order: 'asc', limit: 2 * n });
    for (const gw of ['gw-a', 'gw-b']) {
      expect(all.filter((e) => e.agent === gw).map((e) => Number(e.request_id))).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect(all.filter((e, i) => i > 0 && e.agent !== all[i - 1].agent).length).toBeGreaterThanOrEqual(n / 100 - 1);
  });

  it('restarts a dead worker and re-sends what it had not confirmed, in order', async () => {
    // better-sqlite3 is safe to terminate mid-call (node-sqlite3, used before, aborted the process)
    const log = await open();
    const remote = (log as unknown as { sink: { worker: { terminate(): Promise<number> } | null } }).sink;
    const kill = async () => {
      await waitFor(() => remote.worker !== null);
      await remote.worker!.terminate();
    };
    for (let i = 0; i < 500; i++) log.append(event(i));
    await log.flush();
    await kill();
    for (let i = 500; i < 1500; i++) log.append(event(i));
    await kill(); // the replacement dies too, once it has the re-sent and new events
    for (let i = 1500; i < 2000; i++) log.append(event(i));
    await log.flush();
    expect(await verifyChain(store)).toMatchObject({ ok: true });
    const ids = (await store.listAudit({ order: 'asc', limit: 5000 })).map((e) => Number(e.request_id));
    // every event is there, first occurrences in order; a batch stored just before a death may appear twice
    expect([...new Set(ids)]).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it('a journal the worker cannot read back costs a restart, not events: the lines go with the hand-off after', async () => {
    const log = await open();
    // removed before the worker first reads it (a cleaned state directory): the log still writes the open file
    unlinkSync((log as unknown as { journal: { path: string } }).journal.path);
    for (let i = 0; i < 300; i++) log.append(event(i));
    await log.flush();
    for (let i = 300; i < 600; i++) log.append(event(i));
    await log.flush();
    const ids = (await store.listAudit({ order: 'asc', limit: 1000 })).map((e) => Number(e.request_id));
    expect(ids).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 600 });
  });

  it('a process that appends, closes and exits loses nothing (run from source under tsx)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-exit-'));
    const script = join(dir, 'script.mts');
    const src = JSON.stringify(pathToFileURL(join(ROOT, 'src', 'audit', 'audit-log.ts')).href);
    writeFileSync(
      script,
      `import { AuditLog } from ${src};
       const log = await AuditLog.open(${JSON.stringify(target.url)});
       for (let i = 0; i < 20000; i++) log.append({ type: 'request', requestId: String(i), data: { i } });
       await log.close();
       process.stdout.write(log.threaded ? 'threaded' : 'in-thread');
       process.exit(0);`,
    );
    try {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, timeout: 60_000 }, (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        ),
      );
      expect(out).toBe('threaded');
      expect(await verifyChain(store)).toMatchObject({ ok: true, count: 20000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('AuditLog.open fallbacks', () => {
  it('runs in-thread on sqlite::memory: (a worker cannot share it) and when asked to', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const log = await AuditLog.open('sqlite::memory:', { store });
      expect(log.threaded).toBe(false);
      log.append(event(1));
      await log.close();
      expect(await verifyChain(store)).toMatchObject({ ok: true, count: 1 });
      await expect(AuditLog.open('sqlite::memory:')).rejects.toThrow(/needs opts.store/);
      // the journal lives beside the store file, so its directory must exist even when the log is in-thread
      const dir = mkdtempSync(join(tmpdir(), 'airlock-inthread-'));
      const inThread = await AuditLog.open(`sqlite:${join(dir, 'x.sqlite')}`, { store, worker: false });
      expect(inThread.threaded).toBe(false);
      await inThread.close();
    } finally {
      await store.close();
    }
  });

  it('rejects when the worker cannot open its store', async () => {
    await expect(AuditLog.open('sqlite:/nonexistent-dir/x/store.sqlite')).rejects.toThrow(/cannot open SQLite store/);
    await expect(AuditLog.open('postgresql://root@127.0.0.1:1/none')).rejects.toThrow();
  });
});
