// What the fault tests share: temp dirs and clean-ups, an agent made with the CLI, wire and MCP
// clients that never hang, polling with a deadline, the audit trail read with the CLI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runCli } from '../helpers/cli.js';
import { uniqueName } from '../helpers/env.js';

export type Agent = { name: string; token: string };

/** Clean-ups run in reverse order (afterAll / afterEach call run()). */
export class Cleanups {
  private readonly list: (() => unknown)[] = [];
  add(fn: () => unknown): void {
    this.list.push(fn);
  }
  async run(): Promise<void> {
    for (const c of this.list.splice(0).reverse())
      await Promise.resolve()
        .then(c)
        .catch(() => undefined);
  }
}

export function tempDir(cleanups: Cleanups, prefix = 'airlock-fault-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  cleanups.add(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Migrate the store and create an agent with the CLI, as an operator does. */
export async function createAgent(storeUrl: string, prefix = 'agent'): Promise<Agent> {
  const m = await runCli(['migrate', '--store', storeUrl]);
  if (m.code !== 0) throw new Error(`airlock migrate failed: ${m.stderr}`);
  const name = uniqueName(prefix);
  const r = await runCli(['agents', 'create', name, '--store', storeUrl, '--json']);
  if (r.code !== 0) throw new Error(`airlock agents create failed: ${r.stderr}`);
  return { name, token: (JSON.parse(r.stdout) as { token: string }).token };
}

/** Poll fn until it returns a truthy value; fails with `what` (and the last value) after timeoutMs. */
type Falsy = null | undefined | false | 0 | '';

export async function until<T>(what: string, fn: () => Promise<T | Falsy> | T | Falsy, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${String((last as Error)?.message ?? JSON.stringify(last))}`,
      );
    await sleep(everyMs);
  }
}

/** A promise, or 'hang' once ms have passed. */
export function orHang<T>(p: Promise<T>, ms: number): Promise<T | 'hang'> {
  return Promise.race([p, sleep(ms).then(() => 'hang' as const)]);
}

/** The outcome of one statement: rows, or the SQLSTATE (or message) of the error. */
export type Outcome = { ok: true; rows: Record<string, unknown>[] } | { ok: false; code: string; message: string };

export const outcomeOf = <T extends Record<string, unknown>>(p: Promise<pg.QueryResult<T>>): Promise<Outcome> =>
  p.then(
    (r) => ({ ok: true as const, rows: r.rows }),
    (e: { code?: string; message?: string }) => ({ ok: false as const, code: e.code ?? 'no-sqlstate', message: String(e.message) }),
  );

/** A wire client of the agent; connection errors after connect are swallowed (queries report them). */
export async function wireClient(port: number, agent: Agent, database: string, cleanups?: Cleanups): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: agent.name, password: agent.token, database, connectionTimeoutMillis: 10_000 });
  c.on('error', () => undefined);
  await c.connect();
  cleanups?.add(() => c.end());
  return c;
}

/** Connect and run one statement on a fresh wire connection; never throws, never hangs past timeoutMs. */
export async function wireOnce(port: number, agent: Agent, database: string, sql: string, timeoutMs = 10_000): Promise<Outcome> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: agent.name,
    password: agent.token,
    database,
    connectionTimeoutMillis: timeoutMs,
  });
  c.on('error', () => undefined);
  try {
    const r = await orHang(
      c.connect().then(() => outcomeOf(c.query(sql))),
      timeoutMs,
    );
    return r === 'hang' ? { ok: false, code: 'hang', message: `no answer within ${timeoutMs} ms` } : r;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { ok: false, code: err.code ?? 'no-sqlstate', message: String(err.message) };
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function mcpClient(httpPort: number, token: string, cleanups?: Cleanups): Promise<Client> {
  const client = new Client({ name: 'fault-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${httpPort}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  cleanups?.add(() => client.close());
  return client;
}

export interface ToolAnswer {
  isError: boolean;
  text: string;
  structured: { status?: string; approval_id?: string; rows?: Record<string, unknown>[] } & Record<string, unknown>;
}

/** The MCP `query` tool; an HTTP-level refusal comes back as isError with its message. */
export async function mcpQuery(client: Client, sql: string, database?: string): Promise<ToolAnswer> {
  try {
    const r = (await client.callTool({ name: 'query', arguments: { sql, ...(database ? { database } : {}) } })) as {
      isError?: boolean;
      content: { text?: string }[];
      structuredContent?: ToolAnswer['structured'];
    };
    return { isError: r.isError === true, text: r.content[0]?.text ?? '', structured: r.structuredContent ?? {} };
  } catch (err) {
    return { isError: true, text: (err as Error).message, structured: {} };
  }
}

export type AuditEvent = {
  seq: number;
  type: string;
  door?: string | null;
  decision?: string | null;
  request_id?: string | null;
  approval_id?: string | null;
  data: Record<string, unknown> & { sql?: string; error?: { code?: string } | string; code?: string };
};

/** The whole trail as `airlock audit export` writes it (orphaned journals replayed first). */
export async function auditEvents(storeUrl: string, args: string[] = []): Promise<AuditEvent[]> {
  const r = await runCli(['audit', 'export', '--store', storeUrl, ...args], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`airlock audit export failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent);
}

export async function auditVerify(storeUrl: string): Promise<{ code: number | null; output: string }> {
  const r = await runCli(['audit', 'verify', '--store', storeUrl], { timeoutMs: 120_000 });
  return { code: r.code, output: r.stdout + r.stderr };
}

/** A statement run directly on a PostgreSQL database (not through Airlock). */
export async function direct<T extends Record<string, unknown> = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** The reviewer API of a running gateway (port read at call time: the gateway starts in beforeAll). */
export const reviewerApi =
  (port: () => number, token: string) =>
  (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`http://127.0.0.1:${port()}/api${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
