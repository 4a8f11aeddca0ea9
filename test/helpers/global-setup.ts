// Build the CLI once before the tests, so spawned `airlock` processes run the code under test.
// Type errors do not stop the emit (`npm ci` runs the strict build through `prepare`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): () => void {
  // local audit state of PostgreSQL stores (journals, keys, checkpoint files) stays out of ~/.airlock
  const state = mkdtempSync(join(tmpdir(), 'airlock-test-state-'));
  process.env.AIRLOCK_STATE_DIR ??= state;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`warning: tsc reported errors; tests run on what it emitted\n${r.stdout.slice(0, 4000)}`);
  if (!existsSync(fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url))))
    throw new Error('build produced no dist/src/cli/main.js');
  buildConsoleIfStale(root);
  return () => rmSync(state, { recursive: true, force: true });
}

/** Newest modification time of any file under dir. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

/** The browser tests need the console bundle: build it (Vite, ~2 s) when missing or older than console/. */
function buildConsoleIfStale(root: string): void {
  const index = join(root, 'dist', 'console', 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(root, 'console'))) return;
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'console/vite.config.ts'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`console build failed:\n${r.stdout}\n${r.stderr}`);
}
