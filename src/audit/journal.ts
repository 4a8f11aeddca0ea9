// The audit write-ahead journal: each process appends its committed audit lines to its own file
// with one synchronous write per batch. Once write(2) returns, the bytes survive a kill -9 of the
// process (they are the kernel's), so a door may release a result; the store catches up after.
// A journal whose owner died is an orphan: any process opening the audit log replays it.
import {
  closeSync,
  existsSync,
  fstatSync,
  futimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stateDir } from './state-paths.js';

const FILE = /^audit-(\d+)-([0-9a-z]+)-([0-9a-f]+)\.jsonl$/;
/** when this process started, in whole seconds: the same in every thread of the process */
const processStart = () => Math.floor(Date.now() / 1000 - process.uptime());
/** an owner touches its file this often; a file untouched for STALE_MS belongs to nobody */
const HEARTBEAT_MS = 2000;
const STALE_MS = 30_000;

export class JournalWriter {
  readonly name: string;
  readonly path: string;
  private fd: number;
  private size = 0;
  private torn = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(readonly dir: string) {
    makeDir(dir);
    this.name = `audit-${process.pid}-${processStart().toString(36)}-${randomBytes(4).toString('hex')}.jsonl`;
    this.path = join(dir, this.name);
    this.fd = openSync(this.path, 'a', 0o600);
    this.heartbeat = setInterval(() => this.touch(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Bytes written so far: the offset after the last append. */
  get offset(): number {
    return this.size;
  }

  /** Append text with one write(2); returns the offset after it. Throws (ENOSPC, EIO…) on failure. */
  append(text: string): number {
    // after a failed write the file may end in a torn line: end it, so the next line stands alone
    const all = this.torn ? `\n${text}` : text;
    let done: number;
    try {
      // the string is encoded by the write itself (no Buffer made per commit); only a short write,
      // which a regular file gives only on trouble such as a full disk, goes on from a Buffer
      done = writeSync(this.fd, all);
      if (done < Buffer.byteLength(all, 'utf8')) {
        const buf = Buffer.from(all, 'utf8');
        while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done);
      }
    } catch (err) {
      this.torn = true;
      this.size = fstatSync(this.fd).size;
      throw err;
    }
    this.torn = false;
    this.size += done;
    return this.size;
  }

  private touch(): void {
    try {
      const now = new Date();
      futimesSync(this.fd, now, now);
    } catch {
      // the next append reports real trouble
    }
  }

  /** Close; with `remove`, delete the file (everything in it is stored). */
  close(remove: boolean): void {
    clearInterval(this.heartbeat);
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    if (remove) {
      try {
        unlinkSync(this.path);
      } catch {
        // gone already
      }
    }
  }
}

/** The journal directory; its parent must exist, except under the state directory (~/.airlock). */
function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EEXIST') return;
    if (code === 'ENOENT' && dir.startsWith(stateDir())) mkdirSync(dir, { recursive: true, mode: 0o700 });
    else throw err;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
};

/** Journal files in dir whose owner is gone (dead pid, or no heartbeat for a while), oldest first. */
export function findOrphans(dir: string | null, exclude?: string): string[] {
  if (!dir || !existsSync(dir)) return [];
  const out: { name: string; mtime: number }[] = [];
  for (const name of readdirSync(dir)) {
    const m = FILE.exec(name);
    if (!m || name === exclude) continue;
    let mtime: number;
    try {
      mtime = statSync(join(dir, name)).mtimeMs;
    } catch {
      continue;
    }
    const pid = Number(m[1]);
    const fresh = Date.now() - mtime < STALE_MS;
    if (pid === process.pid) {
      // this process (another audit log in it) unless the start differs: a previous incarnation with
      // the same pid, as after a container restart
      if (Math.abs(parseInt(m[2], 36) - processStart()) <= 2 && fresh) continue;
    } else if (alive(pid) && fresh) continue;
    out.push({ name, mtime });
  }
  return out.sort((a, b) => a.mtime - b.mtime).map((o) => o.name);
}

/** The complete lines in up to maxBytes of a journal from an offset, and their length in bytes. */
export function readJournal(path: string, from: number, maxBytes: number): { text: string; bytes: number; read: number } {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(maxBytes);
    const n = readSync(fd, buf, 0, maxBytes, from);
    // a newline byte never occurs inside a UTF-8 sequence
    const bytes = buf.subarray(0, n).lastIndexOf(0x0a) + 1;
    return { text: buf.toString('utf8', 0, bytes), bytes, read: n };
  } finally {
    closeSync(fd);
  }
}

export function removeJournal(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
