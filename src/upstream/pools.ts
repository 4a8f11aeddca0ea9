// Two pools per upstream database: read-only sessions for auto statements (PostgreSQL itself
// refuses a misclassified write) and read-write sessions for previews and approved execution.
import pg from 'pg';
import type { ClientConfig, Pool, PoolClient } from 'pg';
import type { QueryResultData } from '../domain/request.js';
import { asAirlockError, invalidParameterValue, notInPrerequisiteState, programLimitExceeded, queryCanceled } from '../errors.js';
import { logger } from '../logger.js';
import { sendCancel } from './server-socket.js';
import { checkDatabaseName, parseUpstreamUrl, startupOption, type UpstreamTarget } from './url.js';
import { streamQuery, toObject, txStatus, uniqueNames } from './stream.js';

export interface UpstreamSettings {
  url: string;
  statementTimeoutMs: number;
  poolSize: number;
  /** how many distinct databases may have pools at once (agents choose the names) */
  maxDatabases?: number;
  /** the upstream URL of each database served elsewhere than `url` (config `targets:`) */
  urlOf?: (database: string) => string;
  /** every connection runs on one backend (PGlite behind pglite-socket): no named statements, no DISCARD ALL */
  sharedBackend?: boolean;
}

const sharedBackendSessions = new WeakSet<PoolClient>();

/** True for a session of a shared-backend upstream: its prepared-statement names and state are everyone's. */
export const sharesBackend = (client: PoolClient): boolean => sharedBackendSessions.has(client);

export const POOL_KINDS = { readOnly: 'read-only', readWrite: 'read-write' } as const;
export type PoolKind = (typeof POOL_KINDS)[keyof typeof POOL_KINDS];

export interface RunOptions {
  /** keep at most this many rows; rowCount stays the server's exact count */
  maxRows?: number;
  /** the agent's search_path for this statement only */
  searchPath?: string;
  /** pg's JS parsing (numbers, Dates, JSON) instead of PostgreSQL's exact text */
  typed?: boolean;
  /** keep rows only while their data stays within this many bytes (the result is marked `cap`) */
  maxBytes?: number;
  /** cancel a statement running longer than this, whatever statement_timeout the session has SET */
  timeoutMs?: number;
}

export interface UpstreamRole {
  role: string;
  superuser: boolean;
  bypassRls: boolean;
}

interface PoolPair {
  readOnly: Pool;
  readWrite: Pool;
}

/** Lazily created pools keyed by database name; one instance per gateway process. */
export class UpstreamPools {
  readonly statementTimeoutMs: number;
  private readonly target: UpstreamTarget;
  private readonly pairs = new Map<string, PoolPair>();
  private closed = false;

  /** parsed target URLs other than the default one */
  private readonly others = new Map<string, UpstreamTarget>();

  constructor(private readonly settings: UpstreamSettings) {
    this.target = parseUpstreamUrl(settings.url);
    this.statementTimeoutMs = settings.statementTimeoutMs;
  }

  /** The upstream that serves a database. */
  private targetOf(database: string): UpstreamTarget {
    const url = this.settings.urlOf?.(database) ?? this.settings.url;
    if (url === this.settings.url) return this.target;
    let t = this.others.get(url);
    if (!t) this.others.set(url, (t = parseUpstreamUrl(url)));
    return t;
  }

  get defaultDatabase(): string {
    return this.target.defaultDatabase;
  }

  /** The pool for one kind of session; created on first use. */
  pool(database: string, kind: PoolKind): Pool {
    const pair = this.pair(database);
    return kind === POOL_KINDS.readOnly ? pair.readOnly : pair.readWrite;
  }

  /** A dedicated session; the caller must release it (release(true) if its state is unknown). */
  async connect(database: string, kind: PoolKind): Promise<PoolClient> {
    try {
      const client = await this.pool(database, kind).connect();
      if (this.settings.sharedBackend) sharedBackendSessions.add(client);
      return client;
    } catch (err) {
      // a database that does not exist should not keep an empty pool pair around
      if ((err as { code?: string }).code === '3D000') await this.drop(database);
      throw asAirlockError(err);
    }
  }

  /**
   * Run auto-tier SQL on a read-only session; writes fail in PostgreSQL with 25006. `sql` may be the
   * statements of one request, as the parser split them: they run in order on the same session, one
   * extended-protocol message each, and the last statement's result is returned.
   */
  async runReadOnly(
    database: string,
    sql: string | readonly string[],
    params: unknown[] = [],
    opts: RunOptions = {},
  ): Promise<QueryResultData> {
    const statements = typeof sql === 'string' ? [sql] : sql;
    if (statements.length > 1 && params.length > 0) throw invalidParameterValue('parameters need a single statement');
    const client = await this.connect(database, POOL_KINDS.readOnly);
    try {
      if (opts.searchPath !== undefined) {
        await client.query("SELECT set_config('search_path', $1, false)", [opts.searchPath]);
      }
      let last: QueryResultData = { command: '', rowCount: null, fields: [], rows: [] };
      for (const text of statements) last = await this.runOne(database, client, text, params, opts);
      return last;
    } catch (err) {
      throw asAirlockError(err);
    } finally {
      client.release(this.settings.sharedBackend ? false : await resetSession(client));
    }
  }

  /** One statement: rows kept up to maxRows / maxBytes, canceled past timeoutMs. */
  private async runOne(database: string, client: PoolClient, text: string, params: unknown[], opts: RunOptions): Promise<QueryResultData> {
    const rows: Record<string, unknown>[] = [];
    let names: string[] | undefined;
    const max = opts.maxRows ?? Number.POSITIVE_INFINITY;
    const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    let bytes = 0;
    let full = false;
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            cancelBackend(this.targetOf(database).base, client);
          }, opts.timeoutMs);
    try {
      const result = await streamQuery(
        client,
        text,
        params,
        (row, fields) => {
          if (rows.length >= max || full) return;
          if (maxBytes !== Number.POSITIVE_INFINITY && (bytes += rowBytes(row)) > maxBytes) {
            full = true;
            return;
          }
          names ??= uniqueNames(fields);
          rows.push(toObject(names, row));
        },
        { raw: !opts.typed },
      );
      const cap = full ? { cap: { limit: 'maxResultBytes' as const, value: maxBytes } } : {};
      return { command: result.command, rowCount: result.rowCount, fields: result.fields, rows, ...cap };
    } catch (err) {
      if (timedOut && (err as { code?: string }).code === '57014') {
        throw queryCanceled(`canceling statement due to statement timeout: it ran longer than the agent's cap of ${opts.timeoutMs} ms`);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Superuser or BYPASSRLS upstream roles defeat the read-only backstop: callers warn. */
  async checkUpstreamRole(database = this.target.defaultDatabase): Promise<UpstreamRole> {
    const client = await this.connect(database, POOL_KINDS.readOnly);
    try {
      const { rows } = await client.query(
        'SELECT current_user AS role, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user',
      );
      const r = rows[0] ?? {};
      return { role: String(r.role ?? ''), superuser: r.rolsuper === true, bypassRls: r.rolbypassrls === true };
    } finally {
      client.release();
    }
  }

  /** Connections per pool (metrics): in use, idle, and requests waiting for one. */
  stats(): { database: string; kind: PoolKind; inUse: number; idle: number; waiting: number }[] {
    return [...this.pairs].flatMap(([database, pair]) =>
      ([POOL_KINDS.readOnly, POOL_KINDS.readWrite] as const).map((kind) => {
        const p = kind === POOL_KINDS.readOnly ? pair.readOnly : pair.readWrite;
        return { database, kind, inUse: p.totalCount - p.idleCount, idle: p.idleCount, waiting: p.waitingCount };
      }),
    );
  }

  /** The readiness probe: one pooled `SELECT 1` on the default database. */
  async ping(): Promise<void> {
    await this.pool(this.target.defaultDatabase, POOL_KINDS.readOnly).query('SELECT 1');
  }

  async close(): Promise<void> {
    this.closed = true;
    const pairs = [...this.pairs.values()];
    this.pairs.clear();
    await Promise.all(pairs.flatMap((p) => [p.readOnly.end(), p.readWrite.end()]));
  }

  private pair(database: string): PoolPair {
    checkDatabaseName(database);
    if (this.closed) throw notInPrerequisiteState('upstream pools are closed');
    let pair = this.pairs.get(database);
    if (pair) return pair;
    const max = this.settings.maxDatabases ?? 100;
    if (this.pairs.size >= max) throw programLimitExceeded(`too many upstream databases in use (limit ${max})`);
    const timeout = startupOption('statement_timeout', this.settings.statementTimeoutMs);
    const target = this.targetOf(database);
    const extra = target.extraOptions;
    pair = {
      readOnly: this.makePool(target, database, [extra, startupOption('default_transaction_read_only', 'on'), timeout]),
      readWrite: this.makePool(target, database, [extra, timeout]),
    };
    this.pairs.set(database, pair);
    return pair;
  }

  private makePool(target: UpstreamTarget, database: string, options: string[]): Pool {
    const pool = new pg.Pool({
      ...target.base,
      database,
      options: options.filter(Boolean).join(' '),
      // node-postgres sends client_encoding=UTF8 at startup; the policy refuses any change of it
      client_encoding: 'UTF8',
      max: this.settings.poolSize,
      idleTimeoutMillis: 30_000,
    });
    // an idle session dropped by the server must not crash the process
    pool.on('error', (err) => logger.warn({ err: err.message, database }, 'upstream idle session error'));
    return pool;
  }

  private async drop(database: string): Promise<void> {
    const pair = this.pairs.get(database);
    if (!pair) return;
    this.pairs.delete(database);
    await Promise.all([pair.readOnly.end(), pair.readWrite.end()]).catch(() => undefined);
  }
}

/** Pooled sessions must not carry one request's SET/PREPARE/LISTEN into the next; true = destroy. */
async function resetSession(client: PoolClient): Promise<boolean> {
  if (txStatus(client) !== 'I') return true;
  try {
    await client.query('DISCARD ALL');
    return false;
  } catch {
    return true;
  }
}

/** Size of a row's data as sent (text columns; other values as their text). */
function rowBytes(row: readonly unknown[]): number {
  let n = 0;
  for (const v of row) {
    if (v === null || v === undefined) continue;
    n += typeof v === 'string' ? Buffer.byteLength(v) : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(JSON.stringify(v) ?? '');
  }
  return n;
}

/** A CancelRequest for the session's running statement, over its own short connection (as libpq does). */
function cancelBackend(base: ClientConfig, client: PoolClient): void {
  const key = client as unknown as { processID?: number; secretKey?: number };
  if (!key.processID) return;
  sendCancel(base.host ?? '127.0.0.1', base.port ?? 5432, key.processID, key.secretKey ?? 0);
}

/** Pools for the configured upstream (config.upstream section). */
export const createUpstreamPools = (settings: UpstreamSettings) => new UpstreamPools(settings);
