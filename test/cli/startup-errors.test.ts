// What a newcomer sees when starting fails or a port is taken: one clear line with what to do, never
// a stack trace; the demo moves to free ports by itself and says so.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { AIRLOCK_BIN, runCli } from '../helpers/cli.js';
import { DATABASE_URL } from '../helpers/env.js';

const dir = mkdtempSync(join(tmpdir(), 'airlock-startup-'));
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

/** A port held by another listener on 127.0.0.1. */
async function takenPort(): Promise<number> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as { port: number }).port;
}

const env = { AIRLOCK_STORE_URL: '', REDIS_URL: '', AIRLOCK_UPSTREAM_URL: '', DATABASE_URL: '', AIRLOCK_LOG_LEVEL: '' };

describe('start-up errors', () => {
  it('a port in use is one line naming the port and the flags to change it', async () => {
    const port = await takenPort();
    const r = await runCli(
      ['serve', '--upstream', DATABASE_URL, '--store', `sqlite:${join(dir, 's.sqlite')}`, '--http-port', String(port), '--wire-port', '0'],
      {
        cwd: dir,
        env,
      },
    );
    expect(r.code).toBe(1);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('{')); // JSON log lines aside
    expect(lines).toEqual([
      `airlock: port ${port} is already in use; stop what holds it or choose another port (--wire-port, --http-port, 0 = any free port)`,
    ]);
  });

  it('an upstream that refuses connections is one line with a hint', async () => {
    const port = await takenPort();
    await new Promise((r) => servers.pop()!.close(r)); // now closed: nothing listens there
    const r = await runCli(['demo', '--upstream', `postgresql://root@127.0.0.1:${port}/postgres`, '--wire-port', '0', '--http-port', '0'], {
      cwd: dir,
      env,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^airlock: cannot connect to 127\\.0\\.0\\.1:${port} \\(connection refused\\); is it running\\?.*airlock doctor`, 'm'),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('with AIRLOCK_LOG_LEVEL=debug the stack trace is there too', async () => {
    const r = await runCli(['serve', '--store', 'mysql://nope'], { cwd: dir, env: { ...env, AIRLOCK_LOG_LEVEL: 'debug' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid store URL/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('airlock demo on taken ports', () => {
  it('listens on free ports instead and says so; psql works on the printed string', async () => {
    const [wire, http] = [await takenPort(), await takenPort()];
    const cwd = mkdtempSync(join(dir, 'demo-'));
    const child = spawn(process.execPath, [AIRLOCK_BIN, 'demo', '--wire-port', String(wire), '--http-port', String(http)], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      if (line.startsWith('Press Ctrl-C')) break;
    }
    const text = lines.join('\n');
    expect(text, err).toMatch(new RegExp(`port ${wire} is taken; the wire proxy listens on \\d+`));
    expect(text).toMatch(new RegExp(`port ${http} is taken; the console and API listen on \\d+`));
    const url = /psql "(postgresql:\/\/[^"]+)"/.exec(text)![1];
    expect(url).not.toContain(`:${wire}/`);
    expect(execFileSync('psql', ['-X', '-At', url, '-c', 'SELECT count(*) FROM invoices'], { encoding: 'utf8' }).trim()).toBe('6');
    expect(readdirSync(join(cwd, '.airlock')).sort()).toEqual(expect.arrayContaining(['airlock.yaml', 'demo.sqlite', 'pgdata']));
    child.kill('SIGINT');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    expect(err).not.toMatch(/Error|\n\s+at /);
  }, 120_000);
});
