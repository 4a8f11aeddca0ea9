// What the operations tests share: an upstream database with a table, Airlock's store in its own
// PostgreSQL database, an agent, a port nothing listens on, and an MCP client over HTTP.
import net from 'node:net';
import pg from 'pg';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createAgentWithCli } from '../helpers/cli.js';
import { REDIS_URL, uniqueName } from '../helpers/env.js';
import { createDatabase, directUrlFor, dropDatabase, psqlDirect } from '../wire/helpers/proxy.js';

export interface OpsEnv {
  /** the upstream database's name (table t: id 1, v 'a') */
  database: string;
  upstreamUrl: string;
  storeUrl: string;
  agent: { name: string; token: string };
  /** serve config sections for this environment (a fresh BullMQ queue on the test Redis) */
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  /** the store's approvals table, read directly */
  approvalStatus(id: string): Promise<string | undefined>;
  drop(): Promise<void>;
}

export async function opsEnv(prefix: string): Promise<OpsEnv> {
  const database = await createDatabase(`${prefix}_up`);
  psqlDirect(database, ['-c', 'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, $$a$$)']);
  const storeDb = await createDatabase(`${prefix}_store`);
  const storeUrl = directUrlFor(storeDb);
  const agent = await createAgentWithCli(storeUrl, uniqueName('agent'));
  return {
    database,
    upstreamUrl: directUrlFor(database),
    storeUrl,
    agent,
    config: (extra = {}) => ({
      upstream: { url: directUrlFor(database) },
      store: { url: storeUrl },
      redis: { url: REDIS_URL },
      ...extra,
    }),
    approvalStatus: async (id) => {
      const c = new pg.Client({ connectionString: storeUrl });
      await c.connect();
      try {
        return (await c.query<{ status: string }>('SELECT status FROM approvals WHERE id = $1', [id])).rows[0]?.status;
      } finally {
        await c.end();
      }
    },
    drop: async () => {
      await dropDatabase(database);
      await dropDatabase(storeDb);
    },
  };
}

/** A TCP port on 127.0.0.1 that nothing listens on (taken from the OS, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A wire client of the agent, connected. */
export async function wireClient(env: OpsEnv, port: number): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: env.agent.name, password: env.agent.token, database: env.database });
  await c.connect();
  return c;
}

/** An MCP client of the agent over Streamable HTTP, connected. */
export async function mcpClient(env: OpsEnv, httpPort: number): Promise<Client> {
  const mcp = new Client({ name: 'ops-test', version: '1' });
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${httpPort}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${env.agent.token}` } },
    }),
  );
  return mcp;
}

/** The MCP `query` tool's structured answer. */
export async function mcpQuery(mcp: Client, sql: string): Promise<{ status: string; approval_id?: string; rows?: unknown[] }> {
  const r = (await mcp.callTool({ name: 'query', arguments: { sql } })) as { structuredContent?: Record<string, unknown> };
  return r.structuredContent as { status: string; approval_id?: string; rows?: unknown[] };
}

/** One sample of a Prometheus text exposition, e.g. sample(text, 'airlock_requests_total{door="wire",decision="auto"}'). */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
