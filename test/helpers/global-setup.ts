// Build the CLI once before the tests, so spawned `airlock` processes run the code under test.
// Type errors do not stop the emit (`npm ci` runs the strict build through `prepare`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
  return () => rmSync(state, { recursive: true, force: true });
}
