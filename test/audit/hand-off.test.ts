// Handing chunks to the audit worker: journaled chunks go as byte ranges of the journal, read back in
// blocks of whole lines; chunks the journal does not hold go with their text. Real files throughout.
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_CHARS, type AuditChunk, type JournalRange } from '../../src/audit/chunk-writer.js';
import { handOff, JournalRangeReader } from '../../src/audit/journal-ranges.js';
import { JournalWriter } from '../../src/audit/journal.js';

const lines = (first: number, count: number, width = 0) =>
  Array.from({ length: count }, (_, i) => `[${first + i}]\t{"é€":"${'x'.repeat(width)}"}\n`).join('');

describe('handOff and JournalRangeReader', () => {
  let dir: string;
  let journal: JournalWriter;
  let next = 0;
  /** one committed chunk, written to the journal as the audit log does */
  const commit = (count: number, width = 0): AuditChunk & { journal: JournalRange } => {
    const text = lines(next, count, width);
    const start = journal.offset;
    const c = { first: next, count, text, journal: { name: journal.name, start, end: journal.append(text) } };
    next += count;
    return c;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-handoff-'));
    journal = new JournalWriter(dir);
    next = 0;
  });
  afterEach(() => {
    journal.close(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends back-to-back journaled chunks as one range and reads them back as blocks of whole lines', () => {
    const chunks = [commit(3), commit(1), commit(2000, 40), commit(1, 3 * BLOCK_CHARS), commit(5)];
    const handed = handOff(chunks, 1000);
    expect(handed).toEqual([{ first: 0, count: 2010, journal: { name: journal.name, start: 0, end: journal.offset } }]);
    const reader = new JournalRangeReader(dir);
    const read = reader.chunks(handed[0]);
    reader.close();
    expect(read.map((c) => c.text).join('')).toBe(chunks.map((c) => c.text).join(''));
    expect(read.length).toBeGreaterThan(3);
    let first = 0;
    for (const c of read) {
      expect(c.first).toBe(first);
      expect(c.text.split('\n').length - 1).toBe(c.count);
      // a block is at most BLOCK_CHARS unless it is one longer line
      if (c.count > 1) expect(Buffer.byteLength(c.text)).toBeLessThanOrEqual(BLOCK_CHARS);
      expect(c.journal!.end - c.journal!.start).toBe(Buffer.byteLength(c.text));
      first += c.count;
    }
    expect(first).toBe(2010);
    expect(read.at(-1)!.journal!.end).toBe(journal.offset);
  });

  it('breaks ranges at gaps and at chunks the journal does not hold, which go with their text', () => {
    const a = commit(2);
    const lost = { first: next, count: 2, text: lines(next, 2) }; // its journal write failed
    next += 2;
    const b = commit(3);
    const c = commit(1);
    next += 4; // a gap
    const d = commit(2);
    const handed = handOff([a, lost, b, c, d], 1000);
    expect(handed.map((h) => [h.first, h.count, h.text === undefined])).toEqual([
      [0, 2, true],
      [2, 2, false],
      [4, 4, true],
      [12, 2, true],
    ]);
    // inline (a restarted worker): every chunk with its text, joined like before
    const inline = handOff([a, lost, b, c, d], 1000, true);
    expect(inline.map((h) => h.text).join('')).toBe([a, lost, b, c, d].map((x) => x.text).join(''));
    expect(inline.map((h) => [h.first, h.count])).toEqual([
      [0, 2],
      [2, 2],
      [4, 4],
      [12, 2],
    ]);
  });

  it('never claims bytes the chunks do not fill: consecutive events with a byte gap go as two ranges', () => {
    const a = commit(2);
    journal.append('x\n'); // bytes of nobody's events between them
    const b = commit(2);
    expect(handOff([a, b], 1000).map((h) => h.journal)).toEqual([a.journal, b.journal]);
    expect(handOff([a, b], 1000, true).map((h) => [h.first, h.count])).toEqual([
      [0, 2],
      [2, 2],
    ]);
  });

  it('reads a range after a torn write (a blank line) as the events it holds', () => {
    const a = commit(2);
    const mid = commit(3);
    // what the journal does after a failed write: the next append starts with a newline
    const start = journal.offset;
    const end = journal.append(`\n${lines(next, 2)}`);
    const b = { first: next, count: 2, text: lines(next, 2), journal: { name: journal.name, start, end } };
    next += 2;
    const reader = new JournalRangeReader(dir);
    const read = handOff([a, mid, b], 1000).flatMap((h) => reader.chunks(h));
    reader.close();
    expect(read.reduce((n, c) => n + c.count, 0)).toBe(7);
  });

  it('refuses a range that does not hold its events, and one it cannot read', () => {
    const a = commit(4);
    const reader = new JournalRangeReader(dir);
    expect(() => reader.chunks({ first: 0, count: 5, journal: a.journal })).toThrow(/does not hold events 0…4/);
    expect(() => reader.chunks({ first: 0, count: 4, journal: { ...a.journal, end: a.journal.end + 10 } })).toThrow(/ends before/);
    expect(() => reader.chunks({ first: 0, count: 1, journal: { name: '../x', start: 0, end: 1 } })).toThrow(/cannot be read/);
    reader.close();
    unlinkSync(join(dir, journal.name));
    expect(() => new JournalRangeReader(dir).chunks({ first: 0, count: 4, journal: a.journal })).toThrow(/ENOENT/);
  });
});
