// The chunk writer: signed checkpoints at most once per period while events flow, and of the head
// once they stop or the writer finishes — not one per stored batch (a busy gateway used to add one
// row to audit_checkpoints and one line to the checkpoint file per commit, tens per second); and
// chunks that arrive just as a drain ends are stored without waiting for another write.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkWriter, type AuditChunk } from '../../src/audit/chunk-writer.js';
import { encodeAuditLine } from '../../src/audit/audit-line.js';
import { checkpointValid } from '../../src/audit/checkpoints.js';
import { verifyChain } from '../../src/audit/index.js';
import type { Store } from '../../src/store/store.js';
import { TARGETS, useStoreTarget } from '../store/fixtures.js';

const KEY = Buffer.alloc(32, 7);
const EVERY_MS = 400;

describe.each(TARGETS)('audit checkpoints on $kind', ({ make }) => {
  let store: Store;
  useStoreTarget(make, (_t, s) => (store = s));
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A writer over the store, a checkpoint file, and a helper that stores one chunk of n events. */
  function setup(onStored?: (upTo: number) => void) {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-ckpt-'));
    dirs.push(dir);
    const checkpointFile = join(dir, 'checkpoints.jsonl');
    let stored = 0;
    const writer = new ChunkWriter(store, {
      key: KEY,
      checkpointFile,
      journalDir: null,
      maxBatch: 1000,
      checkpointEveryMs: EVERY_MS,
      onStored: (upTo) => {
        stored = upTo;
        onStored?.(upTo);
      },
      onFailed: () => undefined,
    });
    let next = 0;
    const storeChunk = async (n: number) => {
      const text = Array.from({ length: n }, (_, i) => encodeAuditLine({ type: 'decision', agent: 'a', data: { i: next + i } })).join('');
      const chunk: AuditChunk = { first: next, count: n, text };
      next += n;
      writer.write(chunk);
      await writer.idle();
      expect(stored).toBe(next);
    };
    const fileLines = () => readFileSync(checkpointFile, 'utf8').trim().split('\n').filter(Boolean);
    return { writer, storeChunk, fileLines, head: () => next, stored: () => stored };
  }

  it('signs the first batch, then at most once per period; the head once events stop', async () => {
    const { storeChunk, fileLines, head } = setup();
    for (let i = 0; i < 6; i++) await storeChunk(3);
    // six transactions well within one period: only the first is signed (it was one per batch)
    let cks = await store.listAuditCheckpoints();
    expect(cks.map((c) => c.seq)).toEqual([3]);
    // the head (seq 18) is signed once the period has passed with nothing more coming
    for (let i = 0; i < 50 && cks.length < 2; i++) {
      await sleep(50);
      cks = await store.listAuditCheckpoints();
    }
    expect(cks.map((c) => c.seq)).toEqual([3, head()]);
    expect(cks.every((c) => checkpointValid(KEY, c))).toBe(true);
    expect(fileLines()).toHaveLength(2);
    // nothing new: no further checkpoint
    await sleep(EVERY_MS + 200);
    expect(await store.listAuditCheckpoints()).toHaveLength(2);
    const v = await verifyChain(store, { key: KEY });
    expect(v.ok, JSON.stringify(v)).toBe(true);
  });

  it('finish() signs an unsigned head at once, and adds nothing when the head is signed', async () => {
    const { writer, storeChunk, fileLines, head } = setup();
    await storeChunk(2); // signed: the first
    await storeChunk(4); // within the period: unsigned
    expect((await store.listAuditCheckpoints()).map((c) => c.seq)).toEqual([2]);
    await writer.finish();
    expect((await store.listAuditCheckpoints()).map((c) => c.seq)).toEqual([2, head()]);
    await writer.finish();
    await sleep(EVERY_MS + 200);
    expect(await store.listAuditCheckpoints()).toHaveLength(2);
    expect(fileLines()).toHaveLength(2);
  });

  it('events keep flowing: a checkpoint per period, not per batch', async () => {
    const { writer, storeChunk } = setup();
    const t0 = Date.now();
    let batches = 0;
    while (Date.now() - t0 < 3 * EVERY_MS) {
      await storeChunk(1);
      batches++;
      await sleep(5);
    }
    await writer.finish();
    const n = (await store.listAuditCheckpoints()).length;
    expect(batches).toBeGreaterThan(20);
    // one at the start, about one per period after it, one at finish
    expect(n).toBeGreaterThanOrEqual(3);
    expect(n).toBeLessThanOrEqual(6);
  });

  it('stores a chunk written as a drain ends (after its last look at the queue), with no further write', async () => {
    let late: (() => void) | null = null;
    const { writer, stored } = setup(() => {
      const f = late;
      late = null;
      // a microtask later: the drain has looked at its empty queue and is finishing
      if (f) void Promise.resolve().then(f);
    });
    late = () => writer.write({ first: 2, count: 1, text: encodeAuditLine({ type: 'decision', agent: 'late', data: {} }) });
    writer.write({ first: 0, count: 2, text: encodeAuditLine({ type: 'decision', data: {} }).repeat(2) });
    for (let i = 0; i < 40 && stored() < 3; i++) await sleep(25);
    expect(stored()).toBe(3);
    expect((await store.listAudit({ agent: 'late' })).length).toBe(1);
  });
});
