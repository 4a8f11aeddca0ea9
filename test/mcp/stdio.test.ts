// `airlock mcp --stdio` as clients run it: the built CLI spawned with env configuration, driven by
// the SDK's stdio client. Approval happens in this process on the same SQLite store.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Gateway } from '../../src/gateway/gateway.js';
import { TOOL_NAMES } from '../../src/mcp/server.js';
import { AIRLOCK_BIN, runCli } from '../helpers/cli.js';
import { createTestEnv, direct, openGateway, structured, textOf, type TestEnv } from './helpers.js';

let env: TestEnv;
let gw: Gateway;
let token: string;
let client: Client;

const childEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return {
    ...base,
    AIRLOCK_STORE_URL: env.storeUrl,
    AIRLOCK_UPSTREAM_URL: env.config.upstream.url,
    AIRLOCK_AGENT_TOKEN: token,
    AIRLOCK_CONFIG: '',
    REDIS_URL: '',
    AIRLOCK_LOG_LEVEL: 'info',
    ...extra,
  };
};

beforeAll(async () => {
  env = await createTestEnv();
  gw = await openGateway(env);
  ({ token } = await gw.store.createAgent('mcp-stdio-agent'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [AIRLOCK_BIN, 'mcp', '--stdio'],
    env: childEnv(),
    stderr: 'pipe',
  });
  client = new Client({ name: 'stdio-test-client', version: '0.0.1' });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  await gw?.close();
  await env?.close();
});

const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

describe('airlock mcp --stdio', () => {
  it('lists the tools and runs the catalog tools', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    for (const t of tools) expect(Object.keys(t.annotations ?? {}).length, t.name).toBe(5); // title and four hints
    expect(structured(await call('list_databases', {})).default_database).toBe(env.database);
    expect(structured(await call('list_tables', {})).tables.length).toBeGreaterThanOrEqual(5);
    expect(structured(await call('describe_table', { table: 'accounts' })).columns).toHaveLength(3);
    expect(structured(await call('explain', { sql: 'SELECT * FROM accounts' })).plan).toMatch(/Seq Scan on accounts/);
  });

  it('auto query, pending INSERT approved here and fetched with approval_status, blocked DROP', async () => {
    const rows = await call('query', { sql: 'SELECT owner FROM accounts ORDER BY id LIMIT 2' });
    expect(structured(rows).rows).toEqual([{ owner: 'alice' }, { owner: 'bob' }]);

    const held = structured(
      await call('query', { sql: "INSERT INTO orders (id, account_id, total, status) VALUES (500, 2, 1, 'stdio') RETURNING id" }),
    );
    expect(held.status).toBe('pending');
    await gw.approvals.approve(held.approval_id, 'reviewer-1');
    const done = await call('approval_status', { id: held.approval_id, wait_seconds: 20 });
    expect(structured(done)).toMatchObject({ status: 'executed', row_count: 1, rows: [{ id: '500' }] });
    expect(await direct(env.database, 'SELECT status FROM orders WHERE id = 500')).toEqual([{ status: 'stdio' }]);

    const blocked = await call('query', { sql: 'DROP TABLE accounts CASCADE' });
    expect(blocked.isError).toBe(true);
    expect(structured(blocked).status).toBe('blocked');
  });

  it('bad inputs are isError results and the session survives them', async () => {
    const missing = await call('query', { params: [1] });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/sql/);
    const huge = await call('query', { sql: `SELECT '${'y'.repeat(10 * 1024 * 1024)}'` });
    expect(huge.isError).toBe(true);
    expect(textOf(huge)).toMatch(/statement too large/);
    expect(structured(await call('query', { sql: 'SELECT 2 AS two' })).rows).toEqual([{ two: '2' }]);
  });

  it('keeps stdout pure protocol while logging to stderr', async () => {
    const child = spawn(process.execPath, [AIRLOCK_BIN, 'mcp', '--stdio'], {
      env: childEnv({ AIRLOCK_LOG_LEVEL: 'debug' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    };
    child.stdin.write(`${JSON.stringify(init)}\n`);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'query', arguments: { sql: 'SELECT 1 AS x' } } })}\n`,
    );
    child.stdin.write('this is not json\n');
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' })}\n`);
    const deadline = Date.now() + 20_000;
    while (!/"id":3/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'query', arguments: { sql: 'SELECT count(*) AS n FROM generate_series(1, 3000000)' } } })}\n`,
    );
    child.stdin.end(); // the answer to id 4 must still arrive after stdin closed
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    const messages = lines.map((l) => JSON.parse(l));
    for (const m of messages) expect(m.jsonrpc).toBe('2.0');
    expect(messages.map((m) => m.id).sort()).toEqual([1, 2, 3, 4]);
    expect(messages.find((m) => m.id === 2).result.structuredContent.rows).toEqual([{ x: '1' }]);
    expect(messages.find((m) => m.id === 4).result.structuredContent.status).toBe('executed');
    expect(err).toMatch(/mcp stdio session started/);
  });

  it('refuses to start with a wrong or missing token', async () => {
    const wrong = await runCli(['mcp', '--stdio'], { env: childEnv({ AIRLOCK_AGENT_TOKEN: 'not-a-real-token' }) });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(/agent token unknown or revoked/);
    const missing = await runCli(['mcp', '--stdio'], { env: childEnv({ AIRLOCK_AGENT_TOKEN: '' }) });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no agent token/);
    const noMode = await runCli(['mcp'], { env: childEnv() });
    expect(noMode.code).toBe(1);
    expect(noMode.stderr).toMatch(/--stdio/);
  });
});
