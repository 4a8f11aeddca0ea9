// SQLite adapter (package `better-sqlite3`, synchronous): one connection in WAL mode, every
// operation serialized through a mutex so a transaction never interleaves with other work.
// SQLite's busy handler is off: waiting for another connection's lock happens here, in short async
// retries, so a locked file never blocks the event loop (a synchronous busy wait would).
import Database from 'better-sqlite3';
import { configError, markStoreError } from '../errors.js';
import { Mutex, type Row, type SqlDriver, type SqlExec } from './sql-driver.js';
import { SqlStore, type SqlStoreOptions } from './sql-store.js';

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** ms a writer waits for another process's lock; default 10 s */
  busyTimeoutMs?: number;
}

const isBusy = (err: unknown) => {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
};

/** Run `fn` again while it fails with SQLITE_BUSY, for at most `ms`. */
async function retryBusy<T>(fn: () => T | Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      return await fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() + wait > deadline) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** What SQLite can bind: booleans as 0/1, dates as ms, undefined as NULL. */
const bindable = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v instanceof Date ? v.getTime() : v === undefined ? null : v);
const bind = (params: readonly unknown[]) => params.map(bindable);
const STATEMENT_CACHE = 256;

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly preamble: readonly string[] = [];
  private readonly mutex = new Mutex();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly raw: SqlExec;

  constructor(
    private readonly db: Database.Database,
    private readonly busyTimeoutMs: number,
  ) {
    this.raw = {
      all: async <T extends Row>(sql: string, params: readonly unknown[] = []) => {
        const st = this.prepare(sql);
        if (st.reader) return st.all(bind(params)) as T[];
        st.run(bind(params));
        return [] as T[];
      },
      run: async (sql, params = []) => this.prepare(sql).run(bind(params)).changes,
      exec: async (script) => void this.db.exec(script),
    };
  }

  /** Prepared once per text (a small cache: hot statements are few). */
  private prepare(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** A statement outside a transaction: serialized, and retried while another connection holds the lock. */
  private one<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(() => retryBusy(fn, this.busyTimeoutMs)).catch((err: unknown) => Promise.reject(markStoreError(err)));
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
    return this.run_(async () => {
      await retryBusy(() => this.db.exec('BEGIN IMMEDIATE'), this.busyTimeoutMs);
      try {
        const out = await fn(this.raw);
        await retryBusy(() => this.db.exec('COMMIT'), this.busyTimeoutMs);
        return out;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** Serialized; any failure marked as the store's own (never shown to an agent). */
  private run_<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(fn).catch((err: unknown) => Promise.reject(markStoreError(err)));
  }

  close(): Promise<void> {
    return this.mutex.run(async () => {
      this.statements.clear();
      if (this.db.open) this.db.close();
    });
  }
}

function openDatabase(path: string): Database.Database {
  try {
    // timeout 0: no busy wait inside SQLite (see retryBusy)
    return new Database(path, { timeout: 0 });
  } catch (err) {
    throw configError(`cannot open SQLite store ${path}: ${(err as Error).message}`);
  }
}

/** Open (creating if needed) a SQLite store file; ':memory:' gives a private in-memory store. */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<SqlStore> {
  const db = openDatabase(path);
  const busy = opts.busyTimeoutMs ?? 10_000;
  const driver = new SqliteDriver(db, busy);
  try {
    // 16 KiB pages for a new file (an existing one keeps its size): the audit table's rows are a few
    // hundred bytes and arrive hundreds per commit; bigger pages mean fewer WAL frames and B-tree splits
    await driver.exec('PRAGMA page_size = 16384');
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
