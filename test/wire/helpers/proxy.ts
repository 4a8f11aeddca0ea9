// Starts the proxy on a random port with the real gateway (own store, queue and audit trail), an agent, and (optionally) its own
// database, and builds connection strings for the client matrix.
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { startWireServer, type WireServer, type WireServerConfig } from '../../../src/wire/server.js';
import { createRealGateway, type WireTestGateway } from './real-gateway.js';
import { DATABASE_URL, uniqueName } from '../../helpers/env.js';

export interface Proxy {
  gw: WireTestGateway;
  server: WireServer;
  agent: string;
  token: string;
  database: string;
  /** postgresql://agent:token@127.0.0.1:port/db */
  url: (extra?: string) => string;
  /** direct (admin) connection string to the same database */
  directUrl: string;
  close(): Promise<void>;
}

/** A fresh database on the local PostgreSQL; returns its name. */
export async function createDatabase(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const c = new pg.Client(DATABASE_URL);
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  const c = new pg.Client(DATABASE_URL);
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}

export function directUrlFor(database: string): string {
  const u = new URL(DATABASE_URL);
  u.pathname = '/' + database;
  return u.toString();
}

/** Runs psql directly against a database (setup only: fixtures, pgbench -i). */
export function psqlDirect(database: string, args: string[], input?: string): string {
  return execFileSync('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-q', directUrlFor(database), ...args], { input, encoding: 'utf8' });
}

export async function startProxy(
  opts: {
    database?: string;
    statementTimeoutMs?: number;
    catalogRefreshSeconds?: number;
    config?: Partial<WireServerConfig>;
    /** gateway config sections beside upstream/store (e.g. auth limits) */
    extra?: Record<string, unknown>;
  } = {},
): Promise<Proxy> {
  const gw = await createRealGateway({
    database: opts.database,
    statementTimeoutMs: opts.statementTimeoutMs,
    catalogRefreshSeconds: opts.catalogRefreshSeconds,
    extra: opts.extra,
  });
  const agent = uniqueName('agent');
  const { token } = await gw.store.createAgent(agent);
  const server = await startWireServer({
    gateway: gw,
    config: { host: '127.0.0.1', port: 0, approvalWaitSeconds: 5, maxMessageBytes: 1 << 20, ...opts.config },
  });
  const database = opts.database ?? new URL(DATABASE_URL).pathname.slice(1);
  return {
    gw,
    server,
    agent,
    token,
    database,
    url: (extra = '') => `postgresql://${agent}:${encodeURIComponent(token)}@127.0.0.1:${server.port}/${database}${extra}`,
    directUrl: directUrlFor(database),
    async close() {
      await server.close();
      await gw.close();
    },
  };
}

/** Sends a CancelRequest for `client` to the proxy, the way libpq does: a second short connection with the client's key. */
export function sendCancel(client: pg.Client, port: number): void {
  type PgConnection = {
    connect(port: number, host: string): void;
    on(e: string, f: () => void): void;
    cancel(pid: number, secret: number): void;
  };
  const cancel = new (pg as unknown as { Connection: new () => PgConnection }).Connection();
  cancel.on('connect', () => {
    const key = client as unknown as { processID: number; secretKey: number };
    cancel.cancel(key.processID, key.secretKey);
  });
  cancel.connect(port, '127.0.0.1');
}

/**
 * Runs `sql` through the proxy on a fresh client, sends a CancelRequest `afterMs` later, and reports
 * the error's SQLSTATE, how long the statement took, and what the same session answers afterwards.
 */
export async function cancelThroughProxy(
  proxy: Proxy,
  sql: string,
  afterMs: number,
): Promise<{ code: string | undefined; ms: number; after: unknown }> {
  const c = new pg.Client(proxy.url());
  await c.connect();
  try {
    const t0 = Date.now();
    const running = c.query(sql).then(
      () => undefined,
      (e: { code?: string }) => e.code,
    );
    await new Promise((r) => setTimeout(r, afterMs));
    sendCancel(c, proxy.server.port);
    const code = await running;
    const ms = Date.now() - t0;
    return { code, ms, after: (await c.query('SELECT 1 AS one')).rows[0].one };
  } finally {
    await c.end();
  }
}
