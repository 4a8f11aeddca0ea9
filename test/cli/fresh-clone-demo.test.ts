// Issue 15's acceptance, as a newcomer meets Airlock: the repository copied into an empty folder
// (what a clone holds: tracked and unignored files, no node_modules, no dist), then the README's
// first command run exactly as written, with no DATABASE_URL: `npm ci` and the demo on its embedded
// PostgreSQL. psql, an MCP client over Streamable HTTP and one over stdio (both configured exactly
// as the demo prints) run a SELECT, a held UPDATE and a refused DROP; the machine's PostgreSQL is
// not touched. (The README's second command, `npm ci && npm test`, is what CI runs: `.ci/run`.)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { psqlCommand as psql } from '../helpers/pg.js';
import { DATABASE_URL, RUN_MARK } from '../helpers/env.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'airlock-clone-'));
const clone = join(work, 'airlock');
let demo: ChildProcess | undefined;
let again: ChildProcess | undefined;

afterAll(async () => {
  for (const p of [demo, again]) {
    if (!p || p.exitCode !== null || p.signalCode !== null) continue;
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** The README's first command, exactly as written there. */
function readmeDemoCommand(): string {
  const line = readFileSync(join(ROOT, 'README.md'), 'utf8')
    .split('\n')
    .find((l) => /^npm ci && npx airlock demo\b/.test(l));
  if (!line) throw new Error('README has no `npm ci && npx airlock demo` line');
  return line.replace(/\s+#.*$/, '');
}

function copyRepository(): void {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    try {
      copyFileSync(join(ROOT, f), join(clone, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted but not yet committed
    }
  }
}

/** The machine's databases but those other test files create meanwhile (named after the run's tag). */
async function machineDatabases(): Promise<string[]> {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ datname: string }>('SELECT datname FROM pg_database ORDER BY 1');
    return rows.map((r) => r.datname).filter((name) => !name.includes(RUN_MARK));
  } finally {
    await c.end();
  }
}

type ToolResult = { isError?: boolean; structuredContent?: Record<string, unknown>; content?: { text?: string }[] };
const text = (r: ToolResult) => (r.content ?? []).map((c) => c.text ?? '').join('\n');

/** SELECT runs, UPDATE is held with a preview, DROP is refused: the three tiers through one MCP client. */
async function threeTiers(client: Client, id: number): Promise<string> {
  const read = (await client.callTool({ name: 'query', arguments: { sql: 'SELECT count(*) AS n FROM customers' } })) as ToolResult;
  expect(read.isError, text(read)).toBeFalsy();
  expect(read.structuredContent?.status).toBe('executed');
  const write = (await client.callTool({
    name: 'query',
    arguments: { sql: `UPDATE customers SET plan = 'team' WHERE id = ${id}` },
  })) as ToolResult;
  expect(write.structuredContent?.status, text(write)).toBe('pending');
  expect(text(write)).toMatch(/1 row would be affected/);
  const drop = (await client.callTool({ name: 'query', arguments: { sql: 'DROP TABLE invoices' } })) as ToolResult;
  expect(drop.isError).toBe(true);
  expect(text(drop)).toMatch(/DROP TABLE/);
  return String(write.structuredContent?.approval_id);
}

describe('a fresh clone, the README command, the embedded demo', () => {
  it('installs, starts on embedded PostgreSQL, and serves psql and MCP (HTTP and stdio) as printed', async () => {
    copyRepository();
    const before = await machineDatabases();
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['DATABASE_URL', 'AIRLOCK_UPSTREAM_URL', 'AIRLOCK_STORE_URL', 'REDIS_URL', 'AIRLOCK_CONFIG', 'VITEST', 'NODE_OPTIONS'])
      delete env[k];
    demo = spawn('bash', ['-c', readmeDemoCommand()], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    demo.stderr!.on('data', (b) => (stderr += b));
    const lines: string[] = [];
    for await (const line of createInterface({ input: demo.stdout! })) {
      lines.push(line);
      if (line.startsWith('Press Ctrl-C')) break;
    }
    const printed = lines.join('\n');
    expect(printed, stderr.slice(-3000)).toMatch(/upstream: embedded PostgreSQL \(PGlite\)/);

    // psql, with the printed connection string
    const url = /psql "(postgresql:\/\/[^"]+)"/.exec(printed)![1];
    expect(psql(url, 'SELECT count(*) FROM customers').out.trim()).toBe('5');
    expect(psql(url, 'DROP TABLE invoices').err).toMatch(/blocked.*DROP TABLE/);
    const held = spawn('psql', ['-X', '-At', url, '-c', "UPDATE customers SET plan = 'pro' WHERE id = 3"], { stdio: 'pipe' });
    let heldOut = '';
    held.stdout.on('data', (b) => (heldOut += b));
    const heldDone = new Promise((r) => held.once('close', r));
    // approve from a terminal with the printed command line
    const approveLine = /or from a terminal: (.*) approvals list/.exec(printed)![1];
    const airlock = (args: string) => execFileSync('bash', ['-c', `${approveLine} ${args}`], { cwd: work, encoding: 'utf8' });
    let id = '';
    for (let i = 0; i < 100 && !id; i++) {
      id = airlock('approvals list --status pending --json').trim().split('\n')[0];
      id = id ? (JSON.parse(id) as { id: string }).id : '';
      if (!id) await new Promise((r) => setTimeout(r, 200));
    }
    expect(airlock(`approvals approve ${id} --as newcomer`)).toMatch(/approved/);
    await heldDone;
    expect(heldOut.trim()).toBe('UPDATE 1');
    expect(psql(url, 'SELECT plan FROM customers WHERE id = 3').out.trim()).toBe('pro');

    // MCP over Streamable HTTP, with the printed config
    const httpCfg = JSON.parse(/MCP over Streamable HTTP.*\n\s+(\{.*\})/.exec(printed)![1]).mcpServers.airlock;
    const overHttp = new Client({ name: 'fresh-clone-http', version: '1' });
    await overHttp.connect(new StreamableHTTPClientTransport(new URL(httpCfg.url), { requestInit: { headers: httpCfg.headers } }));
    const httpApproval = await threeTiers(overHttp, 1);
    await overHttp.close();

    // MCP over stdio, with the printed config (the host starts Airlock itself, from any folder)
    const stdioCfg = JSON.parse(/MCP over stdio.*\n\s+(\{.*\})/.exec(printed)![1]).mcpServers.airlock;
    const overStdio = new Client({ name: 'fresh-clone-stdio', version: '1' });
    await overStdio.connect(
      new StdioClientTransport({
        command: stdioCfg.command,
        args: stdioCfg.args,
        env: { ...stdioCfg.env, PATH: process.env.PATH! },
        cwd: work,
      }),
    );
    const stdioApproval = await threeTiers(overStdio, 2);
    await overStdio.close();
    expect(stdioApproval).not.toBe(httpApproval);

    // Ctrl-C (SIGINT to the terminal's foreground group) stops it cleanly: no error printed, and the
    // embedded database keeps what was approved for the next start
    process.kill(-demo.pid!, 'SIGINT');
    await new Promise((r) => demo!.once('exit', r));
    expect(stderr).not.toMatch(/Error|\n\s+at /);
    again = spawn('bash', ['-c', 'npx airlock demo'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let url2 = '';
    for await (const line of createInterface({ input: again.stdout! })) {
      url2 ||= /psql "(postgresql:\/\/[^"]+)"/.exec(line)?.[1] ?? '';
      if (line.startsWith('Press Ctrl-C')) break;
    }
    expect(psql(url2, 'SELECT plan FROM customers WHERE id = 3').out.trim()).toBe('pro');
    process.kill(-again.pid!, 'SIGINT');
    await new Promise((r) => again!.once('exit', r));
    expect(await machineDatabases()).toEqual(before);
  }, 900_000);
});
