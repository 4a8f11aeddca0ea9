// Limits test plumbing: a fresh database with a table of numbered rows, and real gateways (own store,
// queue and audit trail) whose config has a `limits:` section naming agents created in the store
// first, as an operator would (`airlock agents create`, then `serve`). Wire proxy and MCP client
// included; nothing is mocked.
import pg from 'pg';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { openStore } from '../../src/store/open.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { startWireServer, type WireServer } from '../../src/wire/server.js';
import type { Agent } from '../../src/domain/request.js';
import { testConfig, type TestGatewaySpec } from '../helpers/gateway.js';
import { createDatabase, dropDatabase, psqlDirect } from '../wire/helpers/proxy.js';

/** A database with `items` (id 1..rows, a 100-byte pad each). */
export async function itemsDatabase(rows = 200): Promise<string> {
  const database = await createDatabase('limits');
  psqlDirect(database, [
    '-c',
    `CREATE TABLE items (id int PRIMARY KEY, pad text NOT NULL);
     INSERT INTO items SELECT g, repeat('x', 100) FROM generate_series(1, ${rows}) g;`,
  ]);
  return database;
}

export { dropDatabase };

export interface TestAgent extends Agent {
  token: string;
}

export interface LimitedGateway {
  gw: Gateway;
  agents: Record<string, TestAgent>;
  close(): Promise<void>;
}

/** A gateway with this `limits:` section; `agents` are created in its store before it opens. */
export async function limitedGateway(
  spec: Omit<TestGatewaySpec, 'extra'> & { limits: Record<string, unknown>; agents?: string[]; extra?: Record<string, unknown> },
): Promise<LimitedGateway> {
  const { config, opts } = testConfig({ ...spec, extra: { limits: spec.limits, ...spec.extra } });
  const store = await openStore(config.store.url, opts.storeSchema ? { schema: opts.storeSchema } : {});
  const agents: Record<string, TestAgent> = {};
  try {
    for (const name of spec.agents ?? []) {
      const { agent, token } = await store.createAgent(name);
      agents[name] = { id: agent.id, name: agent.name, token };
    }
  } finally {
    await store.close();
  }
  const gw = await Gateway.open(config, opts);
  return { gw, agents, close: () => gw.close() };
}

/** The wire proxy in front of a gateway, and node-pg clients logging in as its agents. */
export async function wireFor(gw: Gateway): Promise<{
  server: WireServer;
  connect(agent: TestAgent, database: string): Promise<pg.Client & { notices: string[] }>;
  close(): Promise<void>;
}> {
  const server = await startWireServer({
    gateway: gw,
    config: { host: '127.0.0.1', port: 0, approvalWaitSeconds: 2, maxMessageBytes: 1 << 20 },
  });
  const clients: pg.Client[] = [];
  return {
    server,
    async connect(agent, database) {
      const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: agent.name, password: agent.token, database });
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(n.message ?? ''));
      c.on('error', () => undefined);
      await c.connect();
      clients.push(c);
      return Object.assign(c, { notices });
    },
    async close() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await server.close();
    },
  };
}

/** An MCP client (in-memory transport) for one agent of a gateway. */
export async function mcpFor(
  gw: Gateway,
  agent: Agent,
): Promise<{ call(tool: string, args: Record<string, unknown>): Promise<CallToolResult>; close(): Promise<void> }> {
  const server = createMcpServer(gw, { agent: { id: agent.id, name: agent.name } });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'limits-test', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

export const textOf = (r: CallToolResult): string => {
  const c = r.content?.[0];
  return c && c.type === 'text' ? c.text : '';
};

// the assertions that follow check its shape

export const structured = (r: CallToolResult) => r.structuredContent as Record<string, any>;

/** The SQLSTATE a statement fails with, or 'ok'. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Audit events of a type, once the batched audit writes have landed. */
export async function auditOf(gw: Gateway, type: string, agent?: string) {
  await sleep(300);
  return (await gw.listAudit({ type, ...(agent ? { agent } : {}) })).map((e) => ({ ...e, data: e.data as Record<string, unknown> }));
}
