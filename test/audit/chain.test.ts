import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditLog, chainHash, exportJsonl, verifyChain, type AuditInput } from '../../src/audit/index.js';
import type { Store } from '../../src/store/store.js';
import { TARGETS, useStoreTarget, type StoreTarget } from '../store/fixtures.js';
import { alterEvent, deleteEvent, setDataText, storedAuditText } from '../store/audit-tamper.js';

const event = (i: number, over: Partial<AuditInput> = {}): AuditInput => ({
  type: i % 2 ? 'decision' : 'request',
  agent: i % 3 ? 'alice' : 'bob',
  door: 'wire',
  database: 'app',
  decision: i % 5 === 0 ? 'block' : 'auto',
  rule: 'default',
  requestId: `req-${i}`,
  data: { i, sql: `SELECT ${i}`, tables: i % 4 === 0 ? ['public.orders'] : ['users'], nested: { z: 1, a: [i, { y: true }] } },
  ...over,
});

/** An independent re-implementation of the documented hash, from an exported line. */
function recompute(line: Record<string, unknown>): string {
  const canon = (v: unknown): string =>
    v === null || typeof v !== 'object'
      ? JSON.stringify(v)
      : Array.isArray(v)
        ? `[${v.map(canon).join(',')}]`
        : `{${Object.keys(v as object)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
            .join(',')}}`;
  const { seq: _s, prev_hash, hash: _h, ...body } = line;
  return createHash('sha256').update(String(prev_hash)).update(canon(body)).digest('hex');
}

describe.each(TARGETS)('audit chain on $kind', ({ make }) => {
  let target: StoreTarget;
  let store: Store;
  useStoreTarget(make, (t, s) => ((target = t), (store = s)));

  it('appends in order with seq 1..n and a valid chain', async () => {
    const log = AuditLog.inThread(store, { maxBatch: 7 });
    for (let i = 1; i <= 50; i++) log.append(event(i));
    expect(log.pending).toBe(50);
    await log.flush();
    expect(log.pending).toBe(0);
    const all = await store.listAudit({ order: 'asc', limit: 1000 });
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(all.map((e) => e.request_id)).toEqual(Array.from({ length: 50 }, (_, i) => `req-${i + 1}`));
    expect(all[0].prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < all.length; i++) expect(all[i].prev_hash).toBe(all[i - 1].hash);
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 50, lastSeq: 50, headHash: all[49].hash });
  });

  it('writes within a few ms without an explicit flush', async () => {
    const log = AuditLog.inThread(store);
    log.append(event(1));
    await new Promise((r) => setTimeout(r, 200));
    expect((await store.listAudit()).length).toBe(1);
  });

  it('filters by agent, decision, table, type, time and limit', async () => {
    const base = 1_700_000_000_000;
    const log = AuditLog.inThread(store);
    for (let i = 1; i <= 20; i++) log.append(event(i, { ts: base + i * 1000 }));
    await log.flush();
    const seqs = async (f: Parameters<Store['listAudit']>[0]) => (await store.listAudit({ order: 'asc', ...f })).map((e) => e.seq);
    expect(await seqs({ agent: 'bob' })).toEqual([3, 6, 9, 12, 15, 18]);
    expect(await seqs({ decision: 'block' })).toEqual([5, 10, 15, 20]);
    expect(await seqs({ table: 'orders' })).toEqual([4, 8, 12, 16, 20]);
    expect(await seqs({ table: 'public.orders' })).toEqual([4, 8, 12, 16, 20]);
    expect(await seqs({ table: 'ORDERS', agent: 'alice' })).toEqual([4, 8, 16, 20]);
    expect(await seqs({ table: 'order%' })).toEqual([]);
    expect((await seqs({ table: 'users' })).length).toBe(15);
    expect(await seqs({ type: 'request', since: base + 10_000, until: base + 14_000 })).toEqual([10, 12, 14]);
    expect((await store.listAudit({ limit: 3 })).map((e) => e.seq)).toEqual([20, 19, 18]);
    await expect(store.listAudit({ limit: -1 })).rejects.toMatchObject({ code: '22023' });
  });

  it('finds the altered row when data is UPDATEd directly', async () => {
    const log = AuditLog.inThread(store);
    for (let i = 1; i <= 30; i++) log.append(event(i));
    await log.flush();
    await setDataText(target, 17, JSON.stringify({ i: 17, sql: 'SELECT 0' }));
    expect(await verifyChain(store)).toMatchObject({ ok: false, firstBrokenSeq: 17, count: 16, lastSeq: 16 });
  });

  it('finds a deleted row, a re-hashed row, and a damaged first row', async () => {
    const log = AuditLog.inThread(store);
    for (let i = 1; i <= 30; i++) log.append(event(i));
    await log.flush();
    await deleteEvent(target, 23);
    expect(await verifyChain(store)).toMatchObject({ ok: false, firstBrokenSeq: 23, count: 22 });
    // a forger who also fixes the event's own hash is caught at the next event
    const [ev9] = await store.listAudit({ afterSeq: 8, limit: 1, order: 'asc' });
    const newHash = chainHash(ev9.prev_hash, { ...ev9, agent: 'mallory' });
    await alterEvent(target, 9, (e) => ({ ...e, body: { ...e.body, agent: 'mallory' } }), newHash);
    expect(await verifyChain(store)).toMatchObject({ ok: false, firstBrokenSeq: 10, count: 9 });
    await setDataText(target, 1, 'not json');
    expect(await verifyChain(store)).toMatchObject({ ok: false, firstBrokenSeq: 1, count: 0 });
    expect((await store.listAudit({ limit: 1, order: 'asc' }))[0].data).toEqual({ $invalid_json: 'not json' });
  });

  it('streams verify and export over many pages; exported lines re-verify independently', async () => {
    const log = AuditLog.inThread(store, { maxBatch: 500 });
    for (let i = 1; i <= 2500; i++) log.append(event(i));
    await log.flush();
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 2500 });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    expect(await exportJsonl(store, out)).toBe(2500);
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBe(2500);
    let prev = '0'.repeat(64);
    for (const l of lines) {
      expect(l.prev_hash).toBe(prev);
      expect(recompute(l)).toBe(l.hash);
      prev = String(l.hash);
    }
    const filtered = new PassThrough();
    const fchunks: Buffer[] = [];
    filtered.on('data', (c: Buffer) => fchunks.push(c));
    expect(await exportJsonl(store, filtered, { agent: 'bob', table: 'orders' })).toBe(208);
    expect(await exportJsonl(store, new PassThrough().resume(), { agent: 'bob', limit: 1200 })).toBe(833);
  });

  it('two AuditLogs (two gateways) appending concurrently keep one valid chain', async () => {
    const other = await target.open();
    const a = AuditLog.inThread(store, { maxBatch: 50 });
    const b = AuditLog.inThread(other, { maxBatch: 50 });
    const n = 3000;
    // rounds of racing flushes: each round both gateways contend for the chain's lock
    for (let i = 0; i < n; i++) {
      a.append(event(i, { agent: 'gw-a', requestId: `a-${i}` }));
      b.append(event(i, { agent: 'gw-b', requestId: `b-${i}` }));
      if (i % 100 === 99) await Promise.all([a.flush(), b.flush()]);
    }
    await Promise.all([a.flush(), b.flush()]);
    expect(await verifyChain(store)).toMatchObject({ ok: true, count: 2 * n });
    const all = await store.listAudit({ order: 'asc', limit: 2 * n });
    for (const gw of ['gw-a', 'gw-b']) {
      const mine = all.filter((e) => e.agent === gw).map((e) => Number(e.request_id!.slice(2)));
      expect(mine).toEqual(Array.from({ length: n }, (_, i) => i)); // each gateway's order is kept
    }
    // and the batches really interleaved
    const switches = all.filter((e, i) => i > 0 && e.agent !== all[i - 1].agent).length;
    expect(switches).toBeGreaterThanOrEqual(n / 100 - 1);
  });

  it('never stores secrets', async () => {
    const log = AuditLog.inThread(store);
    log.append(
      event(1, {
        type: 'auth.failed',
        data: {
          user: 'bob',
          password: 'hunter2',
          headers: { Authorization: 'Bearer abc', accept: 'json' },
          list: [{ apiKey: 'k', ok: 1 }],
          token: 'al_x',
        },
      }),
    );
    await log.flush();
    const text = await storedAuditText(target);
    expect(text).toContain('"user":"bob"');
    for (const secret of ['hunter2', 'Bearer abc', 'al_x', '"k"']) expect(text).not.toContain(secret);
    expect((await store.listAudit())[0].data).toEqual({ user: 'bob', headers: { accept: 'json' }, list: [{ ok: 1 }] });
  });
});
