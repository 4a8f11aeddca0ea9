// Handing journaled chunks to the audit worker by reference: the main thread posts only which bytes
// of its journal hold them (the lines are in the kernel's page cache once write(2) returned), and the
// worker reads them back in blocks. Copying the text through postMessage cost both threads more than
// the read (1,500 events, 425 KB: ~700 µs of CPU a hand-off against ~430 µs, most of the difference
// page faults of the large buffers a copy needs).
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCK_CHARS, joinRun, runLength, type AuditChunk, type JournalRange } from './chunk-writer.js';

/** A chunk on its way to the worker: without text, its lines are read from the journal range. */
export type HandedChunk = AuditChunk | (Omit<AuditChunk, 'text'> & { journal: JournalRange; text?: undefined });

/**
 * Committed chunks as few hand-offs: runs of consecutive events written back to back to one journal
 * become one range; a chunk the journal does not hold (its write failed) goes with its text, joined
 * with its neighbours up to maxBatch events and BLOCK_CHARS. `inline`: every chunk with its text
 * (a restarted worker gets what the dead one had not stored that way).
 */
export function handOff(chunks: readonly AuditChunk[], maxBatch: number, inline = false): HandedChunk[] {
  const out: HandedChunk[] = [];
  for (let i = 0; i < chunks.length;) {
    const byRange = !inline && chunks[i].journal !== undefined;
    const n = byRange ? runLength(chunks, i, Infinity) : runLength(chunks, i, maxBatch, BLOCK_CHARS);
    const run = chunks.slice(i, i + n);
    out.push(byRange ? rangeOf(run) : joinRun(run));
    i += n;
  }
  return out;
}

/** joinRun without the text: the run's events and the journal bytes that hold them. */
function rangeOf(run: readonly AuditChunk[]): HandedChunk {
  const [head, last] = [run[0], run[run.length - 1]];
  return { first: head.first, count: last.first + last.count - head.first, journal: { ...head.journal!, end: last.journal!.end } };
}

/** One event per non-empty line (a line left blank after a failed write holds none). */
function countLines(text: string): number {
  let n = 0;
  for (let at = 0, nl = text.indexOf('\n'); nl >= 0; at = nl + 1, nl = text.indexOf('\n', at)) if (nl > at) n++;
  return n;
}

/** The worker's side: reads handed ranges of journals in a directory back into chunks of up to BLOCK_CHARS. */
export class JournalRangeReader {
  private readonly fds = new Map<string, number>();
  private buf = Buffer.allocUnsafe(1 << 20);

  constructor(private readonly dir: string | null) {}

  /** The chunk itself when it has its text; else its range read back. Throws when the range does not hold its events. */
  chunks(c: HandedChunk): AuditChunk[] {
    if (c.text !== undefined) return [c];
    const { name, start, end } = c.journal;
    const len = end - start;
    if (this.buf.length < len) this.buf = Buffer.allocUnsafe(len);
    const buf = this.buf;
    for (let got = 0; got < len;) {
      const n = readSync(this.fd(name), buf, got, len - got, start + got);
      if (n === 0) throw new Error(`audit journal ${name} ends before byte ${end}`);
      got += n;
    }
    const out: AuditChunk[] = [];
    let first = c.first;
    for (let off = 0; off < len;) {
      let cut = len;
      if (off + BLOCK_CHARS < len) {
        // whole lines (a newline byte never occurs inside a UTF-8 sequence); one longer line alone
        cut = buf.lastIndexOf(0x0a, off + BLOCK_CHARS - 1) + 1;
        if (cut <= off) cut = buf.indexOf(0x0a, off) + 1 || len;
      }
      const text = buf.toString('utf8', off, cut);
      const count = countLines(text);
      out.push({ first, count, text, journal: { name, start: start + off, end: start + cut } });
      first += count;
      off = cut;
    }
    if (len > 1 << 24) this.buf = Buffer.allocUnsafe(1 << 20); // a burst does not keep its buffer
    if (first !== c.first + c.count)
      throw new Error(`audit journal ${name} does not hold events ${c.first}…${c.first + c.count - 1} at ${start}…${end}`);
    return out;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private fd(name: string): number {
    let fd = this.fds.get(name);
    if (fd === undefined) {
      if (!this.dir || name.includes('/') || name.includes('\\')) throw new Error(`audit journal ${name} cannot be read here`);
      fd = openSync(join(this.dir, name), 'r');
      this.fds.set(name, fd);
    }
    return fd;
  }
}
