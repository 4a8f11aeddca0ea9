// Handing chunks to the audit worker: consecutive chunks of one journal travel as one (fewer objects
// to copy), never across a gap, another journal, or maxBatch events; each keeps its journal offset.
import { describe, expect, it } from 'vitest';
import { joinChunks } from '../../src/audit/worker-sink.js';
import type { AuditChunk } from '../../src/audit/chunk-writer.js';

const chunk = (first: number, count: number, journal?: string, end?: number): AuditChunk => ({
  first,
  count,
  text: Array.from({ length: count }, (_, i) => `line ${first + i}\n`).join(''),
  ...(journal ? { journal: { name: journal, end: end ?? first + count } } : {}),
});

describe('joinChunks', () => {
  it('joins consecutive chunks of one journal, keeping the text in order and the last offset', () => {
    const out = joinChunks([chunk(0, 2, 'j', 20), chunk(2, 1, 'j', 30), chunk(3, 3, 'j', 60)], 1000);
    expect(out).toEqual([{ first: 0, count: 6, text: chunk(0, 6).text, journal: { name: 'j', end: 60 } }]);
  });

  it('does not join across a gap, another journal, a chunk without a journal, or maxBatch', () => {
    const chunks = [chunk(0, 2, 'a'), chunk(3, 1, 'a'), chunk(4, 1, 'b'), chunk(5, 1), chunk(6, 2), chunk(8, 3, 'b'), chunk(11, 3, 'b')];
    const out = joinChunks(chunks, 5);
    expect(out.map((c) => [c.first, c.count, c.journal?.name])).toEqual([
      [0, 2, 'a'],
      [3, 1, 'a'],
      [4, 1, 'b'],
      [5, 3, undefined],
      [8, 3, 'b'],
      [11, 3, 'b'],
    ]);
    // nothing lost or reordered
    expect(out.map((c) => c.text).join('')).toBe(chunks.map((c) => c.text).join(''));
  });

  it('leaves a single chunk as it is', () => {
    const c = chunk(7, 4, 'j');
    expect(joinChunks([c], 1000)[0]).toBe(c);
    expect(joinChunks([], 1000)).toEqual([]);
  });
});
