// MCP test plumbing: a fresh database loaded with the bypass fixture, a real Gateway on it (SQLite
// store in a temp dir, in-process queue), and SDK clients over in-memory, stdio or HTTP transports.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { parseConfig } from '../../src/config/load.js';
import type { AirlockConfig } from '../../src/config/schema.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { CORPUS_DIR, DATABASE_URL, uniqueName } from '../helpers/env.js';

export const FIXTURE = join(CORPUS_DIR, 'bypass-fixture.sql');

export function dbUrl(database: string): string {
  const u = new URL(DATABASE_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

/** CREATE DATABASE mcp_<random>, loaded with the bypass fixture. */
export async function createFixtureDb(prefix = 'mcp'): Promise<string> {
  const name = uniqueName(prefix);
  const c = new pg.Client(DATABASE_URL);
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', dbUrl(name), '-f', FIXTURE], { stdio: ['ignore', 'ignore', 'pipe'] });
  return name;
}

export async function dropDb(name: string): Promise<void> {
  const c = new pg.Client(DATABASE_URL);
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

export interface TestEnv {
  database: string;
  dir: string;
  storeUrl: string;
  config: AirlockConfig;
  close(): Promise<void>;
}

/** A fixture database plus a config pointing at it (store: temp SQLite file, queue: in-process). */
export async function createTestEnv(extra: Record<string, unknown> = {}): Promise<TestEnv> {
  const database = await createFixtureDb();
  const dir = mkdtempSync(join(tmpdir(), 'airlock-mcp-'));
  const storeUrl = `sqlite:${join(dir, 'store.sqlite')}`;
  const config = parseConfig({
    upstream: { url: dbUrl(database), statementTimeoutMs: 10_000, poolSize: 5 },
    store: { url: storeUrl },
    http: { host: '127.0.0.1', port: 0 },
    wire: { host: '127.0.0.1', port: 0 },
    reviewers: [{ name: 'reviewer-1', token: 'reviewer-token-0123456789' }],
    ...extra,
  });
  return {
    database,
    dir,
    storeUrl,
    config,
    async close() {
      await dropDb(database).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function openGateway(env: TestEnv): Promise<Gateway> {
  return Gateway.open(env.config, { queueName: uniqueName('mcpq') });
}

/** An SDK client talking to createMcpServer over the in-memory transport pair. */
export async function inMemoryClient(gw: Gateway, agent: { id: string; name: string }, name = 'vitest-client') {
  const server = createMcpServer(gw, { agent });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name, version: '1.2.3' });
  await client.connect(clientSide);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/** The text of a tool result's first content item. */
export const textOf = (r: unknown): string => {
  const c = (r as CallToolResult).content?.[0];
  return c && c.type === 'text' ? c.text : '';
};

export const structured = (r: unknown) => (r as CallToolResult).structuredContent as Record<string, any>;

/** A direct (admin) query on a database, for set-up and checks outside Airlock. */
export async function direct<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(dbUrl(database));
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
