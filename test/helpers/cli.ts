// Run the built `airlock` CLI as a user would, in a real child process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const AIRLOCK_BIN = fileURLToPath(new URL('../../bin/airlock.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `airlock ...args` with optional stdin; resolves when the process exits. */
export function runCli(
  args: string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AIRLOCK_BIN, ...args], {
      env: { ...process.env, AIRLOCK_LOG_LEVEL: 'silent', ...opts.env },
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** `airlock agents create` on this store, as an operator runs it: the new agent's name and token. */
export async function createAgentWithCli(storeUrl: string, name: string): Promise<{ name: string; token: string }> {
  const r = await runCli(['agents', 'create', name, '--store', storeUrl, '--json']);
  if (r.code !== 0) throw new Error(`airlock agents create failed: ${r.stderr}`);
  return { name, token: (JSON.parse(r.stdout) as { token: string }).token };
}
