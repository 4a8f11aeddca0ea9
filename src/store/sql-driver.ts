// The few things the shared SQL store needs from a database driver. SQL is written once with
// `?` placeholders; each driver adapts it (PostgreSQL numbers them $1, $2, ...).

export type Row = Record<string, unknown>;

export interface SqlExec {
  /** rows of one statement */
  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** one statement; returns the number of rows it changed */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** a script of several statements, no parameters */
  exec(script: string): Promise<void>;
}

export interface SqlDriver extends SqlExec {
  readonly dialect: 'sqlite' | 'postgres';
  /** statements to run (inside the migration lock) before the migrations, e.g. CREATE SCHEMA */
  readonly preamble: readonly string[];
  /**
   * Run fn in one transaction. With `lock`, writers holding the same lock name are serialized
   * across processes (SQLite: BEGIN IMMEDIATE; PostgreSQL: pg_advisory_xact_lock).
   */
  transaction<T>(fn: (tx: SqlExec) => Promise<T>, lock?: string): Promise<T>;
  close(): Promise<void>;
}

/** Is this a unique-constraint violation, in either dialect? */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (e?.code === '23505') return true;
  return typeof e?.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT') && /UNIQUE|PRIMARY KEY/i.test(String(e.message));
}

/** Serializes async work: one holder at a time, in arrival order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** Rewrite `?` placeholders as `$1, $2, ...` (our SQL never has `?` inside literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
