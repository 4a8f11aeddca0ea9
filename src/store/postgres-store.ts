// PostgreSQL adapter (`pg` Pool). An optional schema is created at migration time and put on
// every connection's search_path, so several stores (or tests) can share one database.
import pg from 'pg';
import { AirlockError, configError, connectionFailure, markStoreError } from '../errors.js';
import { logger } from '../logger.js';
import { redactUrl } from '../domain/redact-url.js';
import { numberPlaceholders, type Row, type SqlDriver, type SqlExec } from './sql-driver.js';
import { SqlStore, type SqlStoreOptions } from './sql-store.js';

export interface PostgresStoreOptions extends SqlStoreOptions {
  /** schema for the store's tables (created if missing); the connection's default otherwise */
  schema?: string;
  /** pool size, default 10 */
  max?: number;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function executor(query: (text: string, values?: unknown[]) => Promise<pg.QueryResult>): SqlExec {
  // every failure is marked as the store's own, so no door shows its details to an agent
  const q = (text: string, values?: unknown[]) => query(text, values).catch((err: unknown) => Promise.reject(markStoreError(err)));
  return {
    all: async <T extends Row>(sql: string, params: readonly unknown[] = []) =>
      (await q(numberPlaceholders(sql), params as unknown[])).rows as T[],
    run: async (sql, params = []) => (await q(numberPlaceholders(sql), params as unknown[])).rowCount ?? 0,
    exec: async (script) => {
      await q(script);
    },
  };
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly preamble: readonly string[];
  private readonly exec_: SqlExec;

  constructor(
    private readonly pool: pg.Pool,
    /** the store's schema: advisory locks are scoped to it (current_schema() when unset) */
    private readonly schema: string | undefined,
  ) {
    this.preamble = schema ? [`CREATE SCHEMA IF NOT EXISTS "${schema}"`] : [];
    this.exec_ = executor((text, values) => pool.query(text, values));
  }

  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.exec_.all<T>(sql, params);
  }
  run(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.exec_.run(sql, params);
  }
  exec(script: string): Promise<void> {
    return this.exec_.exec(script);
  }

  async transaction<T>(fn: (tx: SqlExec) => Promise<T>, lock?: string): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => Promise.reject(markStoreError(err)));
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      if (lock) {
        // Transaction-scoped: released by COMMIT/ROLLBACK, never leaked by a crashed holder.
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1), hashtext(coalesce($2::text, current_schema()::text, '')))", [
          `airlock:${lock}`,
          this.schema ?? null,
        ]);
      }
      const out = await fn(executor((text, values) => client.query(text, values)));
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export { redactUrl };

/** Open a store on PostgreSQL; `?schema=NAME` in the URL works like opts.schema. */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<SqlStore> {
  let connectionString = url;
  let schema = opts.schema;
  try {
    const u = new URL(url);
    const fromUrl = u.searchParams.get('schema');
    if (fromUrl !== null) {
      schema ??= fromUrl;
      u.searchParams.delete('schema');
      connectionString = u.toString();
    }
  } catch {
    throw configError(`invalid store URL ${redactUrl(url)}: not a URL`);
  }
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw configError(`invalid store schema "${schema}": use letters, digits and _ (max 63)`);
  }
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 10_000,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  });
  // An idle client dying (server restart) must not crash the process; the pool replaces it.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle store connection failed; the pool replaces it'));
  const store = new SqlStore(new PostgresDriver(pool, schema), 'postgres', opts);
  if (opts.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close().catch(() => undefined);
      if (err instanceof AirlockError) throw err;
      throw connectionFailure(`cannot open PostgreSQL store ${redactUrl(url)}: ${(err as Error).message}`);
    }
  }
  return store;
}
