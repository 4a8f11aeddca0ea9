// Issue 18's acceptance: the repository packed as npm would publish it, installed into an empty
// prefix, and run from an empty folder — `airlock --version`, `airlock check` and `airlock demo` on
// its embedded PostgreSQL, then psql through the printed connection string. Prints the tarball's
// size and file count (the README states them).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'airlock-pkg-'));
const prefix = join(work, 'prefix');
const empty = join(work, 'empty');
let demo: ChildProcess | undefined;

afterAll(() => {
  if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const cleanEnv = () => {
  const env: NodeJS.ProcessEnv = { ...process.env, AIRLOCK_LOG_LEVEL: 'warn' };
  for (const k of ['DATABASE_URL', 'AIRLOCK_UPSTREAM_URL', 'AIRLOCK_STORE_URL', 'REDIS_URL', 'AIRLOCK_CONFIG', 'VITEST', 'NODE_OPTIONS'])
    delete env[k];
  return env;
};

describe(`the ${pkg.name} package`, () => {
  it('packs, installs into an empty prefix, and runs from an empty folder', async () => {
    mkdirSync(empty);
    // dist/ is built by the test run's global setup; `npm pack` would rebuild it (prepack) under the other tests
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }),
    ) as { filename: string; size: number; entryCount: number; files: { path: string }[] }[];
    const { filename, size, entryCount, files } = packed[0];
    process.stdout.write(`npm pack: ${filename}, ${(size / 1024).toFixed(0)} kB packed, ${entryCount} files\n`);
    const paths = files.map((f) => f.path);
    for (const need of ['bin/airlock.js', 'dist/src/cli/main.js', 'dist/console/index.html', 'demo/sample.sql', 'LICENSE', 'README.md'])
      expect(paths, need).toContain(need);
    expect(paths.some((p) => p.startsWith('migrations/sqlite/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('integrations/') && p.endsWith('.yaml'))).toBe(true);
    // nothing the installed program does not need
    expect(paths.filter((p) => /^(test|bench|src|console|scripts)\/|\.ts$|\.map$/.test(p))).toEqual([]);

    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(work, filename)], {
      cwd: empty,
      env: cleanEnv(),
      stdio: 'ignore',
    });
    const airlock = join(prefix, 'bin', 'airlock');
    expect(statSync(airlock).isFile()).toBe(true);
    expect(execFileSync(airlock, ['--version'], { cwd: empty, encoding: 'utf8' }).trim()).toBe(pkg.version);
    const check = spawn(airlock, ['check', 'DROP TABLE t'], { cwd: empty, env: cleanEnv() });
    let checkOut = '';
    check.stdout.on('data', (b) => (checkOut += b));
    expect(await new Promise((r) => check.once('close', r))).toBe(1);
    expect(checkOut).toMatch(/^BLOCK/);

    demo = spawn(airlock, ['demo', '--wire-port', '0', '--http-port', '0'], {
      cwd: empty,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    demo.stderr!.on('data', (b) => (stderr += b));
    let url = '';
    for await (const line of createInterface({ input: demo.stdout! })) {
      url ||= /psql "(postgresql:\/\/[^"]+)"/.exec(line)?.[1] ?? '';
      if (line.startsWith('Press Ctrl-C')) break;
    }
    expect(url, stderr).toMatch(/^postgresql:\/\//);
    expect(execFileSync('psql', ['-X', '-At', url, '-c', 'SELECT count(*) FROM customers'], { encoding: 'utf8' }).trim()).toBe('5');
    demo.kill('SIGINT');
    expect(await new Promise((r) => demo!.once('exit', r))).toBe(0);
  }, 600_000);
});
