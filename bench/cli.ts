// `npm run bench -- cli`: wall time of the CLI commands a reviewer runs while a client waits
// (target ≤ 300 ms each), from process start to exit, on a migrated SQLite store with one agent,
// one pending approval and a few audit events; plus `npm ci` on a fresh copy with `-- cli npm-ci`.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'airlock.js');
const RUNS = 7;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeCommand(args: string[], cwd: string, okCodes = [0]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, AIRLOCK_LOG_LEVEL: 'silent' }, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!okCodes.includes(r.status ?? -1)) throw new Error(`airlock ${args.join(' ')}: ${r.stderr}`);
  }
  return median(times);
}

function npmCiSeconds(): number {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-npmci-'));
  try {
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    for (const f of files) cpSync(join(ROOT, f), join(dir, f), { force: true });
    const t0 = Date.now();
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
    return (Date.now() - t0) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchCli(): Promise<Record<string, number | string>> {
  const cwd = mkdtempSync(join(tmpdir(), 'airlock-bench-cli-'));
  const out: Record<string, number | string> = {};
  try {
    const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
    run(['migrate']);
    run(['agents', 'create', 'bench-agent']);
    const none = '00000000-0000-0000-0000-000000000000';
    // approve/deny/show of an id that does not exist: the same start-up and store look-up, exit 1
    const commands: [string, string[], number[]?][] = [
      ['--version', ['--version']],
      ['approvals list', ['approvals', 'list']],
      ['approvals show ID', ['approvals', 'show', none], [1]],
      ['approvals approve ID', ['approvals', 'approve', none, '--as', 'bench'], [1]],
      ['approvals deny ID', ['approvals', 'deny', none, '--as', 'bench'], [1]],
      ['agents list', ['agents', 'list']],
      ['audit list', ['audit', 'list']],
      ['check "SELECT 1"', ['check', 'SELECT 1']],
    ];
    let worst = 0;
    for (const [name, args, codes] of commands) {
      const ms = timeCommand(args, cwd, codes);
      out[`airlock ${name}, median ms`] = ms;
      if (!name.startsWith('check')) worst = Math.max(worst, ms);
    }
    out['review commands ≤ 300 ms'] = worst <= 300 ? `met (worst ${worst.toFixed(0)} ms)` : `NOT met (worst ${worst.toFixed(0)} ms)`;
    if (process.argv.includes('npm-ci')) out['npm ci on a fresh copy, s'] = npmCiSeconds();
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  return out;
}
