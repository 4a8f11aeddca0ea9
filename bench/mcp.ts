// MCP `query` overhead: median ms per call over Streamable HTTP against `airlock serve` on
// 127.0.0.1, from a client in its own process as real MCP clients are, versus the same
// parameterised SELECT through `pg` directly. Two clients: the SDK's (fetch/undici plus response
// validation on the client side) and a lean keep-alive node:http client speaking the same protocol,
// which shows what the server adds; the <= 1 ms target is judged on the lean one. Also splits the
// cost: a bare HTTP round trip, gateway.query alone, the MCP server over the in-memory transport,
// stdio, and the SDK client in the server's own process.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { parseConfig } from '../src/config/load.js';
import { startAll } from '../src/cli/serve.js';
import { createMcpServer } from '../src/mcp/server.js';
import { LeanMcpClient } from './mcp-lean-client.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/test';
const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 1000);
const WARMUP = 200;
const TARGET_OVERHEAD_MS = 1;
const SQL = 'SELECT id, owner, balance FROM bench_accounts WHERE id = $1';
const id = (i: number) => (i % 1000) + 1;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
};
const median = (xs: number[]) => quantile(xs, 0.5);

/** ms per call of fn, after a warm-up. */
async function time(fn: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn(i);
  const out: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out;
}

/** Time CALLS `query` tool calls on a connected client; a failed call aborts the bench. */
function timeQueries(client: Client): Promise<number[]> {
  return time(async (i) => {
    const r = await client.callTool({ name: 'query', arguments: { sql: SQL, params: [id(i)] } });
    if (r.isError) throw new Error(`bench query failed: ${JSON.stringify(r.content)}`);
  });
}

/** An SDK client over Streamable HTTP whose `query` calls are timed. */
async function httpTimings(url: string, token: string): Promise<number[]> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'bench-http', version: '1' });
  await client.connect(transport);
  try {
    return await timeQueries(client);
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  }
}

/** The lean node:http client: a bare GET /healthz round trip, then the same `query` calls. */
async function leanTimings(url: string, token: string): Promise<{ roundTrip: number[]; query: number[] }> {
  const client = new LeanMcpClient(url, token);
  await client.connect();
  try {
    const roundTrip = await time(() => client.get('/healthz'));
    const query = await time(async (i) => {
      const r = await client.callTool('query', { sql: SQL, params: [id(i)] });
      if (r.isError) throw new Error(`bench query failed: ${JSON.stringify(r.content)}`);
    });
    return { roundTrip, query };
  } finally {
    await client.close();
  }
}

/** `airlock mcp --stdio` spawned from source (no build needed), timed from this process. */
async function stdioTimings(env: Record<string, string>): Promise<number[]> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'src/cli/main.ts', 'mcp', '--stdio'],
    cwd: root,
    env: { ...base, AIRLOCK_LOG_LEVEL: 'error', AIRLOCK_CONFIG: '', REDIS_URL: '', ...env },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench-stdio', version: '1' });
  await client.connect(transport);
  try {
    return await timeQueries(client);
  } finally {
    await client.close();
  }
}

/** Timings from a separate Node process (this file with --client or --lean). */
function childTimings<T>(mode: '--client' | '--lean', url: string, token: string): Promise<T> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', self, mode, url, token], { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, out) =>
      err ? reject(err) : resolve(JSON.parse(out) as T),
    ),
  );
}

async function admin(sql: string, url = DATABASE_URL): Promise<void> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function benchMcp(): Promise<Record<string, number | string>> {
  const db = `mcp_bench_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'airlock-mcp-bench-'));
  const u = new URL(DATABASE_URL);
  u.pathname = `/${db}`;
  const dbUrl = u.toString();
  await admin(`CREATE DATABASE ${db}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await admin(
      `CREATE TABLE bench_accounts (id int PRIMARY KEY, owner text, balance numeric);
       INSERT INTO bench_accounts SELECT g, 'owner ' || g, g * 10 FROM generate_series(1, 1000) g; ANALYZE bench_accounts`,
      dbUrl,
    );
    const config = parseConfig({
      upstream: { url: dbUrl, poolSize: 4 },
      store: { url: `sqlite:${join(dir, 'store.sqlite')}` },
      http: { host: '127.0.0.1', port: 0 },
      wire: { host: '127.0.0.1', port: 0 },
    });
    const running = await startAll(config, { queueName: `mcpbench_${randomBytes(4).toString('hex')}` });
    cleanups.push(() => running.close());
    const { agent, token } = await running.gateway.store.createAgent('bench-agent');
    const url = `http://127.0.0.1:${running.http.port}/mcp`;

    const direct = new pg.Client(dbUrl);
    await direct.connect();
    cleanups.push(() => direct.end());
    const pgMs = await time((i) => direct.query(SQL, [id(i)]));

    const who = { id: agent.id, name: agent.name };
    const gwMs = await time((i) =>
      running.gateway.query({ agent: who, door: 'mcp', database: db, sql: SQL, params: [id(i)] }, { maxRows: 100 }),
    );

    const server = createMcpServer(running.gateway, { agent: who });
    const [cs, ss] = InMemoryTransport.createLinkedPair();
    await server.connect(ss);
    const memClient = new Client({ name: 'bench-memory', version: '1' });
    await memClient.connect(cs);
    cleanups.push(() => memClient.close());
    const memMs = await time((i) => memClient.callTool({ name: 'query', arguments: { sql: SQL, params: [id(i)] } }));

    const serverSide: number[] = [];
    running.http.server.prependListener('request', (_req, res) => {
      const t = process.hrtime.bigint();
      res.once('finish', () => serverSide.push(Number(process.hrtime.bigint() - t) / 1e6));
    });
    const lean = await childTimings<{ roundTrip: number[]; query: number[] }>('--lean', url, token);
    const leanServer = serverSide.splice(0).slice(-CALLS);
    const childMs = await childTimings<number[]>('--client', url, token);
    const childServer = serverSide.splice(0).slice(-CALLS);
    const inProcMs = await httpTimings(url, token);
    const stdioMs = await stdioTimings({ AIRLOCK_AGENT_TOKEN: token, AIRLOCK_STORE_URL: config.store.url, AIRLOCK_UPSTREAM_URL: dbUrl });

    const leanOverhead = median(lean.query) - median(pgMs);
    const sdkOverhead = median(childMs) - median(pgMs);
    const verdict = (ms: number) =>
      `${ms.toFixed(2)} ms ${ms <= TARGET_OVERHEAD_MS ? '<=' : '>'} ${TARGET_OVERHEAD_MS} ms: ${ms <= TARGET_OVERHEAD_MS ? 'met' : 'NOT met'}`;
    return {
      calls: CALLS,
      pg_direct_median_ms: median(pgMs),
      gateway_query_median_ms: median(gwMs),
      mcp_in_memory_median_ms: median(memMs),
      http_round_trip_median_ms: median(lean.roundTrip),
      mcp_http_lean_median_ms: median(lean.query),
      mcp_http_lean_p95_ms: quantile(lean.query, 0.95),
      mcp_http_lean_overhead_median_ms: leanOverhead,
      mcp_http_lean_server_side_median_ms: median(leanServer),
      mcp_http_sdk_median_ms: median(childMs),
      mcp_http_sdk_p95_ms: quantile(childMs, 0.95),
      mcp_http_sdk_overhead_median_ms: sdkOverhead,
      mcp_http_sdk_server_side_median_ms: median(childServer),
      mcp_http_sdk_same_process_median_ms: median(inProcMs),
      mcp_stdio_median_ms: median(stdioMs),
      mcp_stdio_overhead_median_ms: median(stdioMs) - median(pgMs),
      mcp_layer_median_ms: median(memMs) - median(gwMs),
      gateway_over_pg_median_ms: median(gwMs) - median(pgMs),
      target_http_overhead_lean_client: verdict(leanOverhead),
      http_overhead_sdk_client: `${verdict(sdkOverhead)} (includes the SDK client's own fetch and validation)`,
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--client') {
    process.stdout.write(JSON.stringify(await httpTimings(process.argv[3], process.argv[4])));
  } else if (process.argv[2] === '--lean') {
    process.stdout.write(JSON.stringify(await leanTimings(process.argv[3], process.argv[4])));
  } else {
    const result = await benchMcp();
    for (const [k, v] of Object.entries(result))
      process.stdout.write(`${k.padEnd(38)} ${typeof v === 'string' || Number.isInteger(v) ? v : v.toFixed(3)}\n`);
  }
  process.exit(0);
}
