// `airlock demo` as a newcomer runs it: it prints a connection string that works in psql, where a
// read runs, a DROP is refused and an UPDATE is held until a reviewer approves it from the CLI.
import { describe, it, expect, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { AIRLOCK_BIN, runCli } from '../helpers/cli.js';
import { psqlCommand as psql } from '../helpers/pg.js';
import { DATABASE_URL, uniqueName } from '../helpers/env.js';

const database = uniqueName('demo');
const cwd = mkdtempSync(join(tmpdir(), 'airlock-demo-'));
let child: ChildProcess | undefined;

afterAll(async () => {
  child?.kill('SIGTERM');
  await new Promise((r) => (child && child.exitCode === null ? child.once('exit', r) : r(null)));
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await c.end();
});

describe('airlock demo', () => {
  it('prints a working connection string; reads run, DROP is refused, an UPDATE waits for approval', async () => {
    child = spawn(process.execPath, [AIRLOCK_BIN, 'demo', '--database', database, '--wire-port', '0', '--http-port', '0'], {
      cwd,
      env: { ...process.env, AIRLOCK_LOG_LEVEL: 'silent', REDIS_URL: '', AIRLOCK_UPSTREAM_URL: DATABASE_URL },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    let url = '';
    for await (const line of createInterface({ input: child.stdout! })) {
      lines.push(line);
      url ||= /psql "(postgresql:\/\/[^"]+)"/.exec(line)?.[1] ?? '';
      if (line.startsWith('Press Ctrl-C')) break;
    }
    expect(url).toMatch(new RegExp(`^postgresql://demo-agent-[0-9a-f]+:al_[^@]+@127\\.0\\.0\\.1:\\d+/${database}$`));
    expect(lines.join('\n')).toMatch(/reviewer token: rv_/);
    // the console is served and the printed account signs in
    const consoleUrl = /Review in the web console: (http:\/\/\S+)\//.exec(lines.join('\n'))![1];
    const password = /sign in as demo-reviewer, password (\S+)/.exec(lines.join('\n'))![1];
    expect(await (await fetch(`${consoleUrl}/`)).text()).toMatch(/\/console\/assets\/index-/);
    const signIn = await fetch(`${consoleUrl}/console/api/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'demo-reviewer', password }),
    });
    expect(signIn.status).toBe(200);
    expect(lines.join('\n')).toMatch(/"mcpServers"/);

    expect(psql(url, 'SELECT count(*) FROM customers').out.trim()).toBe('5');
    expect(psql(url, 'DROP TABLE invoices').err).toMatch(/blocked.*DROP TABLE/);

    const store = ['--store', 'sqlite:.airlock/demo.sqlite'];
    const update = new Promise<{ out: string; err: string }>((resolve) => {
      const p = spawn('psql', ['-X', '-At', url, '-c', "UPDATE customers SET plan = 'pro' WHERE id = 3"], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      p.stdout.on('data', (b) => (out += b));
      p.stderr.on('data', (b) => (err += b));
      p.on('close', () => resolve({ out, err }));
    });
    let id = '';
    for (let i = 0; i < 100 && !id; i++) {
      const list = await runCli(['approvals', 'list', '--status', 'pending', '--json', ...store], { cwd });
      id = list.stdout.trim() ? JSON.parse(list.stdout.trim().split('\n')[0]).id : '';
      if (!id) await new Promise((r) => setTimeout(r, 100));
    }
    expect(id).not.toBe('');
    expect((await runCli(['approvals', 'approve', id, '--as', 'tester', ...store], { cwd })).code).toBe(0);
    const done = await update;
    expect(done.err).toMatch(/held for approval/);
    expect(done.out.trim()).toBe('UPDATE 1');
    expect(psql(url, 'SELECT plan FROM customers WHERE id = 3').out.trim()).toBe('pro');
    expect((await runCli(['audit', 'verify', ...store], { cwd })).code).toBe(0);
  }, 90_000);
});
