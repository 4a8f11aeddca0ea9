import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AuditLog, canonicalJson, redact, verifyChain } from '../../src/audit/index.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { TARGETS, useStoreTarget, type StoreTarget } from '../store/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('redact', () => {
  it('drops secret-named keys at any depth and copies the rest', () => {
    const input = {
      sql: 'select 1',
      Password: 'x',
      db_password: 'x',
      accessToken: 'x',
      client_secret: 'x',
      nested: [{ authorization: 'x', 'x-api-key': 'x', keep: [1, 2, { cookie: 'x', n: null }] }],
      when: new Date(0),
      big: 12n,
      nan: Number.NaN,
      fn: () => 1,
      bytes: Buffer.from('abc'),
      err: Object.assign(new Error('boom'), { code: '42501', password: 'x' }),
    };
    expect(redact(input)).toEqual({
      sql: 'select 1',
      nested: [{ keep: [1, 2, { n: null }] }],
      when: '1970-01-01T00:00:00.000Z',
      big: '12',
      nan: null,
      bytes: { $bytes: 3 },
      err: { name: 'Error', message: 'boom', code: '42501' },
    });
    expect(input.Password).toBe('x'); // the caller's object is untouched
  });

  it('survives cycles and absurd depth', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.shared = [{ v: 1 }];
    a.again = a.shared;
    expect(redact(a)).toEqual({ name: 'a', self: '[circular]', shared: [{ v: 1 }], again: [{ v: 1 }] });
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 100; i++) deep = deep.next = {} as Record<string, unknown>;
    expect(JSON.stringify(redact(root))).toContain('[too deep]');
  });
});

describe('AuditLog in a short-lived process', () => {
  it('exits promptly when its store is gone instead of retrying forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-exit-'));
    const script = join(dir, 'script.mts');
    const src = (f: string) => JSON.stringify(pathToFileURL(join(ROOT, 'src', f)).href);
    writeFileSync(
      script,
      `import { openStore } from ${src('store/open.ts')};
       import { AuditLog } from ${src('audit/audit-log.ts')};
       const store = await openStore('sqlite::memory:');
       const log = AuditLog.inThread(store);
       await store.close();
       log.append({ type: 'request' });
       await log.flush().then(() => process.stdout.write('flushed'), () => process.stdout.write('failed'));`,
    );
    try {
      const started = Date.now();
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, timeout: 20_000 }, (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        ),
      );
      expect(out).toBe('failed');
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('canonicalJson', () => {
  it('sorts keys recursively, no whitespace, drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"z":1}]},"b":1}');
    expect(canonicalJson([undefined, null, 1.5, 'é'])).toBe('[null,null,1.5,"é"]');
  });

  it('gives the same text for keys already in order (native fast path) as for the same keys reversed', () => {
    const reversed = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(reversed);
      if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return v;
      return Object.fromEntries(
        Object.entries(v)
          .reverse()
          .map(([k, x]) => [k, reversed(x)]),
      );
    };
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: [2] });
    const cases: unknown[] = [
      { a: 1, b: 'x' },
      { a: undefined, b: () => 1, c: Symbol('s'), d: [undefined, () => 1, NaN, -0, Infinity] },
      { a: '\u0000 \uD800 \uDC00 😀 "q" \\', b: { c: { d: [[], {}, [null]] } } },
      { '10': 1, '9': 2, a: 3 }, // integer-like keys: property order is not string order
      { a: new Date(0), b: 1 },
      { a: 12n, b: 1 },
      { a: new String('x'), b: 1 },
      { a: nullProto, b: 0 },
      { a: { toJSON: () => 'j' }, b: 1 },
      { client: 'psql', kinds: ['select'], reason: 'read', sql: 'SELECT 1', tables: ['public.t'] },
    ];
    for (const c of cases) expect(canonicalJson(c), JSON.stringify(Object.keys(c as object))).toBe(canonicalJson(reversed(c)));
    expect(canonicalJson({ a: 12n, b: 1 })).toBe('{"a":"12","b":1}');
    expect(canonicalJson({ a: new String('x'), b: 1 })).toBe('{"a":{"0":"x"},"b":1}');
  });
});

describe.each(TARGETS)('AuditLog on $kind', ({ make }) => {
  let target: StoreTarget;
  let store: Store;
  useStoreTarget(make, (t, s) => ((target = t), (store = s)));

  it('keeps the chain valid for awkward text: NUL, lone surrogates, emoji, huge data', async () => {
    const log = AuditLog.inThread(store);
    log.append({ type: 'request', agent: 'a\u0000b', rule: 'x\uD800y', data: { s: 'nul\u0000 \uDC00 😀', deep: { k: 'é' } } });
    log.append({ type: 'tool.call', data: { blob: 'x'.repeat(400_000) } });
    log.append({
      type: 'error',
      data: {
        cycle: (() => {
          const o: Record<string, unknown> = {};
          o.o = o;
          return o;
        })(),
      },
    });
    await log.flush();
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 3 });
    const [first, second] = await store.listAudit({ order: 'asc' });
    expect(first.agent).toBe('a\uFFFDb');
    expect(first.data).toEqual({ s: 'nul\u0000 \uDC00 😀', deep: { k: 'é' } });
    expect(second.data).toMatchObject({ $truncated: true, keys: ['blob'] });
  });

  it('holds events while the store fails, reports it from flush, then catches up', async () => {
    const log = AuditLog.inThread(store, { maxBatch: 10 });
    for (let i = 0; i < 5; i++) log.append({ type: 'request', requestId: `before-${i}` });
    await log.flush();
    await target.raw('ALTER TABLE audit_blocks RENAME TO audit_blocks_away');
    for (let i = 0; i < 25; i++) log.append({ type: 'request', requestId: `during-${i}` });
    await expect(log.flush()).rejects.toThrow(/audit_blocks/);
    expect(log.pending).toBe(25);
    await target.raw('ALTER TABLE audit_blocks_away RENAME TO audit_blocks');
    // the background retry gets there on its own
    const deadline = Date.now() + 5000;
    while (log.pending && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(log.pending).toBe(0);
    await log.flush();
    const ids = (await store.listAudit({ order: 'asc' })).map((e) => e.request_id);
    expect(ids).toEqual([...Array.from({ length: 5 }, (_, i) => `before-${i}`), ...Array.from({ length: 25 }, (_, i) => `during-${i}`)]);
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 30 });
  });

  it('drops beyond maxQueue while the store is down and records how many were lost', async () => {
    const log = AuditLog.inThread(store, { maxBatch: 10, maxQueue: 20 });
    await target.raw('ALTER TABLE audit_blocks RENAME TO audit_blocks_away');
    for (let i = 0; i < 35; i++) log.append({ type: 'request', requestId: `r-${i}` });
    expect(log.pending).toBe(20);
    await expect(log.flush()).rejects.toThrow();
    await target.raw('ALTER TABLE audit_blocks_away RENAME TO audit_blocks');
    await log.close();
    const events = await store.listAudit({ order: 'asc' });
    expect(events.length).toBe(21);
    expect(events[20]).toMatchObject({ type: 'error', data: { dropped: 15 } });
    log.append({ type: 'request' }); // after close: dropped with a log line, never thrown
    expect(log.pending).toBe(0);
  });
});

describe('AuditLog journal commits', () => {
  it('ensureDurable(mark) writes the journal only when the caller’s own events are not in it yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-journal-'));
    const journalDir = join(dir, 'journal');
    const url = `sqlite:${join(dir, 'store.sqlite')}`;
    const store = await openStore(url);
    const log = await AuditLog.open(url, { journalDir, worker: false, store });
    const journalText = () =>
      readdirSync(journalDir)
        .map((f) => readFileSync(join(journalDir, f), 'utf8'))
        .join('');
    try {
      log.append({ type: 'request', requestId: 'a' });
      const mine = log.mark;
      expect(journalText()).toBe(''); // nobody waits yet: committed at the end of the tick, not at once
      log.ensureDurable(mine);
      expect(journalText().split('\n').filter(Boolean)).toHaveLength(1);
      log.append({ type: 'request', requestId: 'b' }); // another session's event
      log.ensureDurable(mine); // mine is journaled already: no write for b's sake
      expect(journalText()).not.toContain('"b"');
      log.ensureDurable(log.mark);
      expect(journalText()).toContain('"b"');
      log.append({ type: 'request', requestId: 'c' });
      await new Promise((r) => setImmediate(r)); // the commit at the end of the tick
      expect(journalText()).toContain('"c"');
      await log.flush();
    } finally {
      await log.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
