// Fail closed on the audit trail (issue 11, item 2): no result goes back to an agent unless its
// audit event is durable; when the store cannot keep up, new work is refused with 58030; kill -9
// loses nothing that an agent saw; deleting the newest events is detected by `audit verify`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runCli } from '../helpers/cli.js';
import { deleteAfter, sqliteRaw } from '../store/audit-tamper.js';
import { DATABASE_URL, uniqueName } from '../helpers/env.js';
import { startOwnCluster, type OwnCluster } from '../helpers/own-cluster.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'airlock-durable-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

async function createAgent(storeUrl: string): Promise<{ name: string; token: string }> {
  const name = uniqueName('agent');
  const m = await runCli(['migrate', '--store', storeUrl]);
  expect(m.code, m.stderr).toBe(0);
  const r = await runCli(['agents', 'create', name, '--store', storeUrl, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return { name, token: JSON.parse(r.stdout).token as string };
}

async function serve(storeUrl: string, audit: Record<string, unknown> = {}): Promise<ServeProcess> {
  const s = await startServe({ upstream: { url: DATABASE_URL }, store: { url: storeUrl }, audit });
  cleanups.push(() => s.kill9());
  return s;
}

async function wireClient(s: ServeProcess, agent: { name: string; token: string }): Promise<pg.Client> {
  const db = new URL(DATABASE_URL).pathname.slice(1);
  const c = new pg.Client({ host: '127.0.0.1', port: s.wirePort, user: agent.name, password: agent.token, database: db });
  c.on('error', () => undefined);
  await c.connect();
  cleanups.push(() => c.end());
  return c;
}

async function mcpClient(s: ServeProcess, token: string): Promise<Client> {
  const client = new Client({ name: 'durability-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${s.httpPort}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

type Attempt = { marker: string; at: number; ok: boolean; code?: string };

/** One marked SELECT over the wire: rows back, or the SQLSTATE; never hangs past 5 s. */
async function wireSelect(c: pg.Client, marker: string): Promise<Attempt> {
  const at = Date.now();
  const timeout = sleep(5000).then(() => ({ marker, at, ok: false, code: 'hang' }));
  const run = c.query(`SELECT '${marker}' AS marker`).then(
    (r) => ({ marker, at, ok: r.rows[0]?.marker === marker }),
    (e: { code?: string }) => ({ marker, at, ok: false, code: e.code ?? 'closed' }),
  );
  return Promise.race([run, timeout]);
}

type ToolResult = { isError?: boolean; structuredContent?: { rows?: { marker?: string }[] }; content: { text?: string }[] };

/** One marked SELECT through MCP: rows back, or 58030 / the error text (an HTTP refusal included). */
async function mcpSelect(client: Client, marker: string): Promise<Attempt & { door: 'mcp' }> {
  const at = Date.now();
  let r: ToolResult;
  try {
    r = (await client.callTool({ name: 'query', arguments: { sql: `SELECT '${marker}' AS marker` } })) as ToolResult;
  } catch (err) {
    return { marker, at, ok: false, door: 'mcp', code: (err as Error).message };
  }
  const ok = !r.isError && r.structuredContent?.rows?.[0]?.marker === marker;
  const text = r.content[0]?.text ?? '?';
  return { marker, at, ok, door: 'mcp', ...(ok ? {} : { code: /58030/.test(text) ? '58030' : text }) };
}

/** The SQL of every decision event in the trail, read with the CLI (which replays orphaned journals first). */
async function auditedSql(storeUrl: string): Promise<string[]> {
  const r = await runCli(['audit', 'export', '--store', storeUrl, '--type', 'decision']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => String(JSON.parse(l).data.sql));
}

/** How often the trail holds exactly this marked SELECT. */
const times = (sql: string[], marker: string) => sql.filter((q) => q === `SELECT '${marker}' AS marker`).length;

async function verify(storeUrl: string, extra: string[] = []) {
  return runCli(['audit', 'verify', '--store', storeUrl, ...extra]);
}

describe('audit durability', () => {
  it('kill -9 loses no audited event: every result an agent got is in the trail after recovery', async () => {
    const storeUrl = `sqlite:${join(tempDir(), 'store.sqlite')}`;
    const agent = await createAgent(storeUrl);
    // the store lags on purpose (its write lock is held below), so events live only in the journal
    const s = await serve(storeUrl, { refuseAfterMs: 20_000 });
    const c = await wireClient(s, agent);
    const mcp = await mcpClient(s, agent.token);
    const blocker = new Database(new URL(storeUrl.replace('sqlite:', 'file:')).pathname);
    blocker.pragma('busy_timeout = 5000');
    blocker.exec('BEGIN IMMEDIATE');
    const seen: Attempt[] = [];
    for (let i = 0; i < 40; i++) seen.push(await wireSelect(c, `k9-wire-${i}`));
    for (let i = 0; i < 5; i++) seen.push(await mcpSelect(mcp, `k9-mcp-${i}`));
    expect(seen.every((a) => a.ok)).toBe(true);
    await s.kill9();
    blocker.exec('ROLLBACK');
    blocker.close();
    const sql = await auditedSql(storeUrl);
    for (const a of seen) expect(times(sql, a.marker), a.marker).toBe(1);
    const v = await verify(storeUrl);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('a PostgreSQL store that stops: 58030 instead of rows once the bound passes, then it recovers and nothing is lost', async () => {
    const cluster: OwnCluster = await startOwnCluster();
    cleanups.push(() => cluster.destroy());
    const storeUrl = cluster.url('postgres');
    const agent = await createAgent(storeUrl);
    const newcomer = await createAgent(storeUrl); // not yet seen by the gateway: its token needs the store
    const s = await serve(storeUrl);
    const c = await wireClient(s, agent);
    const mcp = await mcpClient(s, agent.token);
    expect((await wireSelect(c, 'pg-before')).ok).toBe(true);
    cluster.stop();
    const stoppedAt = Date.now();
    const seen: Attempt[] = [];
    for (let i = 0; Date.now() - stoppedAt < 4000; i++) {
      seen.push(await wireSelect(c, `pg-down-${i}`));
      if (i % 5 === 0) seen.push(await mcpSelect(mcp, `pg-down-mcp-${i}`));
      await sleep(50);
    }
    expect(seen.every((a) => a.code !== 'hang')).toBe(true);
    const late = seen.filter((a) => a.at - stoppedAt > 2000);
    expect(late.length).toBeGreaterThan(5);
    expect(late.filter((a) => a.ok)).toEqual([]);
    expect(late.filter((a) => !('door' in a)).every((a) => a.code === '58030')).toBe(true);
    // issue 11.9: an outage is not a wrong token, and no answer shows an address or a driver message
    const r = await fetch(`http://127.0.0.1:${s.httpPort}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${newcomer.token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    const body = await r.text();
    expect(r.status, body).toBe(503);
    const login = await wireClient(s, newcomer).then(
      () => 'connected',
      (err: Error) => err.message,
    );
    for (const text of [body, login, ...seen.map((a) => String(a.code ?? ''))]) {
      expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:\d{4,5}\b/);
    }
    expect(login).toMatch(/request id|refusing/);
    cluster.start();
    let back: Attempt | undefined;
    for (let i = 0; i < 100 && !back?.ok; i++) {
      back = await wireSelect(c, `pg-back-${i}`);
      if (!back.ok) await sleep(200);
    }
    expect(back?.ok).toBe(true);
    expect((await mcpSelect(mcp, 'pg-back-mcp')).ok).toBe(true);
    await s.stop();
    const sql = await auditedSql(storeUrl);
    for (const a of seen.filter((x) => x.ok)) expect(times(sql, a.marker), a.marker).toBe(1);
    expect(times(sql, back!.marker)).toBe(1);
    const v = await verify(storeUrl);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 90_000);

  it('a SQLite store on a full disk: no rows once events cannot be written, then it recovers and nothing is lost', async (ctx) => {
    if (userInfo().uid !== 0) ctx.skip(); // mounting a small tmpfs needs root
    const mnt = join(tempDir(), 'mnt');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
    cleanups.push(() => void execFileSync('umount', ['-l', mnt]));
    const storeUrl = `sqlite:${join(mnt, 'store.sqlite')}`;
    const agent = await createAgent(storeUrl);
    const s = await serve(storeUrl);
    let c = await wireClient(s, agent);
    expect((await wireSelect(c, 'full-before')).ok).toBe(true);
    const filler = join(mnt, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd stops with "No space left on device": the disk is full
    }
    const fullAt = Date.now();
    const seen: Attempt[] = [];
    for (let i = 0; Date.now() - fullAt < 4000; i++) {
      const a = await wireSelect(c, `full-${i}`);
      seen.push(a);
      if (a.code === 'closed' || a.code === '58030') {
        // a session whose result could not be made durable is ended (FATAL 58030): connect again
        c = await wireClient(s, agent).catch(() => c);
      }
      await sleep(50);
    }
    expect(seen.every((a) => a.code !== 'hang')).toBe(true);
    const late = seen.filter((a) => a.at - fullAt > 2000);
    expect(late.length).toBeGreaterThan(5);
    expect(late.filter((a) => a.ok)).toEqual([]);
    rmSync(filler);
    let back: Attempt | undefined;
    for (let i = 0; i < 100 && !back?.ok; i++) {
      c = await wireClient(s, agent).catch(() => c);
      back = await wireSelect(c, `full-back-${i}`);
      if (!back.ok) await sleep(200);
    }
    expect(back?.ok).toBe(true);
    await s.stop();
    const sql = await auditedSql(storeUrl);
    for (const a of seen.filter((x) => x.ok)) expect(times(sql, a.marker), a.marker).toBe(1);
    const v = await verify(storeUrl);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 90_000);

  it('deleting the newest events fails verify (signed checkpoints outside the table); --head holds a head kept elsewhere', async () => {
    const storeUrl = `sqlite:${join(tempDir(), 'store.sqlite')}`;
    const agent = await createAgent(storeUrl);
    const s = await serve(storeUrl);
    const c = await wireClient(s, agent);
    for (let i = 0; i < 10; i++) expect((await wireSelect(c, `t-${i}`)).ok).toBe(true);
    await c.end();
    await s.stop();
    const ok = await verify(storeUrl, ['--json']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const intact = JSON.parse(ok.stdout) as { lastSeq: number; headHash: string; checkpoints: { checked: number } };
    expect(intact.checkpoints.checked).toBeGreaterThan(0);
    const head = `${intact.lastSeq}:${intact.headHash}`;
    expect((await verify(storeUrl, ['--head', head])).code).toBe(0);

    const db = sqliteRaw(new URL(storeUrl.replace('sqlite:', 'file:')).pathname);
    await deleteAfter(db, intact.lastSeq - 3);
    const cut = await verify(storeUrl);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/deleted from the end/);
    // the store's own checkpoints deleted too: the file outside the store still knows
    await db.raw('DELETE FROM audit_checkpoints');
    db.close();
    const cut2 = await verify(storeUrl);
    expect(cut2.code).toBe(1);
    expect(cut2.stdout).toMatch(/checkpoint file/);
    const withHead = await verify(storeUrl, ['--head', head]);
    expect(withHead.code).toBe(1);
    expect((await verify(storeUrl, ['--head', 'nonsense'])).code).toBe(1);
  }, 60_000);
});
