// SQLite adapter (package `sqlite3`): one connection in WAL mode with a busy timeout, every
// operation serialized through a mutex so a transaction never interleaves with other work.
// Waiting for another connection's lock happens here, in JS, not in SQLite's busy handler: that
// handler sleeps inside one of libuv's four threadpool threads, and a few connections waiting at
// once (in one process, with the audit worker's) would leave none for the holder of the lock.
import sqlite3 from 'sqlite3';
import { configError } from '../errors.js';
import { insertValues, Mutex, type Row, type SqlDriver, type SqlExec } from './sql-driver.js';
import { SqlStore, type SqlStoreOptions } from './sql-store.js';

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** ms a writer waits for another process's lock; default 10 s */
  busyTimeoutMs?: number;
}

/** SQLite's own busy wait: short, so a threadpool thread is never held for long. */
const LOCK_SPIN_MS = 20;

/** Run `fn` again while it fails with SQLITE_BUSY, for at most `ms`. */
async function retryBusy<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() + wait > deadline) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly preamble: readonly string[] = [];
  private readonly mutex = new Mutex();
  private readonly raw: SqlExec;

  constructor(
    private readonly db: sqlite3.Database,
    private readonly busyTimeoutMs: number,
  ) {
    this.raw = {
      all: <T extends Row>(sql: string, params: readonly unknown[] = []) =>
        new Promise<T[]>((resolve, reject) => db.all(sql, params as unknown[], (err, rows) => (err ? reject(err) : resolve(rows as T[])))),
      run: (sql, params = []) =>
        new Promise<number>((resolve, reject) =>
          db.run(sql, params as unknown[], function (this: sqlite3.RunResult, err) {
            if (err) reject(err);
            else resolve(this.changes);
          }),
        ),
      exec: (script) => new Promise<void>((resolve, reject) => db.exec(script, (err) => (err ? reject(err) : resolve()))),
    };
  }

  /** A statement outside a transaction: serialized, and retried while another connection holds the lock. */
  private one<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(() => retryBusy(fn, this.busyTimeoutMs));
  }

  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.one(() => this.raw.all<T>(sql, params));
  }

  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.one(() => this.raw.run(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.one(() => this.raw.exec(script));
  }

  transaction<T>(fn: (tx: SqlExec) => Promise<T>): Promise<T> {
    // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read lock.
    return this.mutex.run(async () => {
      await retryBusy(() => this.raw.exec('BEGIN IMMEDIATE'), this.busyTimeoutMs);
      try {
        const out = await fn(this.raw);
        await this.raw.exec('COMMIT');
        return out;
      } catch (err) {
        await this.raw.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  bulkInsert(tx: SqlExec, table: string, columns: readonly string[], _types: readonly string[], rows: unknown[][]): Promise<void> {
    // 500 rows x 14 columns stays far below SQLite's 32766 bound parameters
    return insertValues(tx, table, columns, rows, 500);
  }

  close(): Promise<void> {
    return this.mutex.run(() => new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve()))));
  }
}

function openDatabase(path: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) =>
      err ? reject(configError(`cannot open SQLite store ${path}: ${err.message}`)) : resolve(db),
    );
  });
}

/** Open (creating if needed) a SQLite store file; ':memory:' gives a private in-memory store. */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<SqlStore> {
  const db = await openDatabase(path);
  const busy = opts.busyTimeoutMs ?? 10_000;
  const driver = new SqliteDriver(db, busy);
  db.configure('busyTimeout', LOCK_SPIN_MS);
  try {
    if (path !== ':memory:' && path !== '') await driver.all('PRAGMA journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commit.
    await driver.exec('PRAGMA synchronous = NORMAL');
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw configError(`cannot use SQLite store ${path}: ${(err as Error).message}`);
  }
  const store = new SqlStore(driver, 'sqlite', opts);
  if (opts.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }
  return store;
}
