// MCP over real HTTP in `airlock serve` (startAll on port 0): Streamable HTTP sessions and the
// legacy SSE transport with the SDK clients, reviewer approval over the HTTP API, 401s, session
// binding to the agent, revocation within the token cache bound, and body-level errors.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { startAll, type Running } from '../../src/cli/serve.js';
import { TOOL_NAMES } from '../../src/mcp/server.js';
import { runCli } from '../helpers/cli.js';
import { jsonBody, uniqueName } from '../helpers/env.js';
import { createTestEnv, direct, structured, textOf, type TestEnv } from './helpers.js';

let env: TestEnv;
let running: Running;
let base: string;
let token: string;
let otherToken: string;
const REVIEWER = 'reviewer-token-0123456789';

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });

async function httpClient(t = token, name = 'http-test-client') {
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: auth(t) } });
  const client = new Client({ name, version: '9.9.9' });
  await client.connect(transport);
  return { client, transport };
}

beforeAll(async () => {
  env = await createTestEnv();
  running = await startAll(env.config, { queueName: uniqueName('mcphttp') });
  base = `http://127.0.0.1:${running.http.port}`;
  ({ token } = await running.gateway.store.createAgent('mcp-http-agent'));
  ({ token: otherToken } = await running.gateway.store.createAgent('mcp-http-other'));
});

afterAll(async () => {
  await running?.close();
  await env?.close();
});

const initBody = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('Streamable HTTP at /mcp', () => {
  it('lists tools and runs every tool; an INSERT is approved over the reviewer API and fetched', async () => {
    const { client, transport } = await httpClient();
    try {
      expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
      const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

      expect(structured(await call('list_databases', {})).default_database).toBe(env.database);
      expect(structured(await call('list_tables', { schema: 'public' })).tables.map((t: { name: string }) => t.name)).toContain('orders');
      expect(structured(await call('describe_table', { table: 'orders' })).indexes).toHaveLength(2);
      expect(structured(await call('explain', { sql: 'UPDATE orders SET status = $1', params: ['x'] })).plan).toMatch(/Update on orders/);

      const rows = await call('query', { sql: 'SELECT count(*) AS n FROM orders' });
      expect(structured(rows)).toMatchObject({ status: 'executed', rows: [{ n: '6' }] });

      const held = structured(await call('query', { sql: "UPDATE orders SET status = 'shipped' WHERE id = $1", params: [1] }));
      expect(held).toMatchObject({ status: 'pending', decision: 'ask', preview: { available: true, affected_rows: 1 } });
      expect(held.preview.before).toEqual([expect.objectContaining({ status: 'open' })]);
      const approved = await fetch(`${base}/api/approvals/${held.approval_id}/approve`, {
        method: 'POST',
        headers: { ...auth(REVIEWER), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(approved.status).toBe(200);
      const done = await call('approval_status', { id: held.approval_id, wait_seconds: 20 });
      expect(structured(done)).toMatchObject({ status: 'executed', approval_status: 'executed', row_count: 1 });
      expect(await direct(env.database, 'SELECT status FROM orders WHERE id = 1')).toEqual([{ status: 'shipped' }]);

      const blocked = await call('query', { sql: 'TRUNCATE orders' });
      expect(blocked.isError).toBe(true);
      expect(structured(blocked)).toMatchObject({ status: 'blocked', decision: 'block', error: { code: '42501' } });

      const bad = await call('query', { sql: 7 });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toMatch(/sql/);
      const huge = await call('query', { sql: `SELECT '${'z'.repeat(10 * 1024 * 1024)}'` });
      expect(huge.isError).toBe(true);
      expect(textOf(huge)).toMatch(/statement too large/);
      expect(structured(await call('query', { sql: 'SELECT 3 AS three' })).rows).toEqual([{ three: '3' }]);
    } finally {
      await transport.terminateSession();
      await client.close();
    }
  });

  it('answers 401 JSON for a missing or wrong token, before touching any session', async () => {
    for (const headers of [{}, auth('wrong-token'), { Authorization: 'Basic abc' }]) {
      const r = await post('/mcp', initBody, headers);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect((await jsonBody(r)).error.code).toBe('28000');
    }
    const get = await fetch(`${base}/mcp`, { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(401);
    await expect(httpClient('wrong-token')).rejects.toThrow();
  });

  it('binds a session to its agent: another agent cannot use the session id', async () => {
    const { client, transport } = await httpClient();
    try {
      const sid = transport.sessionId!;
      const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
      const mine = await post('/mcp', list, { ...auth(token), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' });
      expect(mine.status).toBe(200);
      const theirs = await post('/mcp', list, { ...auth(otherToken), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' });
      expect(theirs.status).toBe(404);
      const unknown = await post('/mcp', list, { ...auth(token), 'mcp-session-id': 'no-such-session' });
      expect(unknown.status).toBe(404);
      const noSession = await post('/mcp', list, auth(token));
      expect(noSession.status).toBe(400);
    } finally {
      await client.close();
    }
  });

  it('refuses a session within mcp.tokenCacheMs of `airlock agents revoke` (run as its own process)', async () => {
    const created = await running.gateway.store.createAgent(uniqueName('revokee'));
    const { client } = await httpClient(created.token);
    const one = () => client.callTool({ name: 'query', arguments: { sql: 'SELECT 1 AS one' } });
    expect(structured(await one()).rows).toEqual([{ one: '1' }]);
    expect(structured(await one()).rows).toEqual([{ one: '1' }]); // answered from the token cache
    const revoked = await runCli(['agents', 'revoke', created.agent.name, '--store', env.storeUrl]);
    expect(revoked.code, revoked.stderr).toBe(0);
    // the documented bound: every request that arrives tokenCacheMs after the revocation is refused
    await sleep(env.config.mcp.tokenCacheMs);
    await expect(one()).rejects.toThrow(/401|unauthori[sz]ed|revoked/i);
    const raw = await post('/mcp', { jsonrpc: '2.0', id: 9, method: 'tools/list' }, auth(created.token));
    expect(raw.status).toBe(401);
    await client.close().catch(() => undefined);
  });

  it('ends a session on DELETE and answers GET with 405 (no server-initiated stream)', async () => {
    const { client, transport } = await httpClient();
    const sid = transport.sessionId!;
    const headers = { ...auth(token), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
    const get = await fetch(`${base}/mcp`, { headers: { ...headers, accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toMatch(/POST/);
    const badVersion = await post(
      '/mcp',
      { jsonrpc: '2.0', id: 3, method: 'tools/list' },
      { ...headers, 'mcp-protocol-version': '1999-01-01' },
    );
    expect(badVersion.status).toBe(400);
    const notify = await post('/mcp', { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 77 } }, headers);
    expect(notify.status).toBe(202);
    const batch = await post(
      '/mcp',
      [
        { jsonrpc: '2.0', id: 4, method: 'ping' },
        { jsonrpc: '2.0', id: 5, method: 'tools/list', params: { _meta: { progressToken: 1 } } },
      ],
      headers,
    );
    expect((await jsonBody(batch)).map((m: { id: number }) => m.id)).toEqual([4, 5]);
    for (const junk of [
      { jsonrpc: '2.0', id: 1.5, method: 'ping' },
      { jsonrpc: '2.0', id: 8, method: 'ping', extra: 1 },
      { jsonrpc: '1.0', id: 8, method: 'ping' },
      42,
    ]) {
      const r = await post('/mcp', junk, headers);
      expect([r.status, (await jsonBody(r)).error.code]).toEqual([400, -32700]);
    }
    expect((await post('/mcp', { jsonrpc: '2.0', id: 6, method: 'ping' }, { ...headers, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await fetch(`${base}/mcp`, { method: 'DELETE', headers })).status).toBe(200);
    expect((await post('/mcp', { jsonrpc: '2.0', id: 7, method: 'ping' }, headers)).status).toBe(404);
    await client.close();
  });

  it('gives JSON-RPC errors for malformed JSON and oversized bodies', async () => {
    const broken = await post('/mcp', '{"jsonrpc": "2.0", ', auth(token));
    expect(broken.status).toBe(400);
    expect((await jsonBody(broken)).error.code).toBe(-32700);
    const big = await post('/mcp', { ...initBody, pad: 'p'.repeat(env.config.mcp.maxBodyBytes) }, auth(token));
    expect(big.status).toBe(413);
    expect((await jsonBody(big)).error.message).toMatch(/too large/);
  });
});

describe('legacy SSE transport', () => {
  it('GET /sse + POST /messages: list tools and run a query', async () => {
    const transport = new SSEClientTransport(new URL(`${base}/sse`), {
      requestInit: { headers: auth(token) },
      eventSourceInit: {
        fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...auth(token) } }),
      },
    });
    const client = new Client({ name: 'sse-client', version: '1' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(TOOL_NAMES.length);
      const r = await client.callTool({ name: 'query', arguments: { sql: 'SELECT owner FROM accounts WHERE id = 3' } });
      expect(structured(r).rows).toEqual([{ owner: 'carol' }]);
    } finally {
      await client.close();
    }
    const unauth = await fetch(`${base}/sse`);
    expect(unauth.status).toBe(401);
    const noSession = await post('/messages?sessionId=nope', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, auth(token));
    expect(noSession.status).toBe(404);
  });
});
