// `airlock serve` as its own process, as an operator runs it: for fault tests that kill it, stop
// its store or run several gateways. Ports are chosen by the OS (0) and read from its output.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIRLOCK_BIN } from './cli.js';

export interface ServeProcess {
  child: ChildProcess;
  wirePort: number;
  httpPort: number;
  /** everything the process wrote to stderr so far */
  stderr(): string;
  /** SIGTERM and wait for the exit (SIGKILL after 15 s) */
  stop(): Promise<void>;
  /** kill -9, no clean-up of any kind */
  kill9(): Promise<void>;
}

/** Start `airlock serve --config FILE` with this config (JSON is YAML) and wait for its ports. */
export async function startServe(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-serve-'));
  const file = join(dir, 'airlock.yaml');
  // free ports unless the config names them (a `wire` or `http` section keeps port 0 unless it sets one)
  const section = (name: string) => ({ port: 0, ...(config[name] as Record<string, unknown> | undefined) });
  writeFileSync(file, JSON.stringify({ ...config, wire: section('wire'), http: section('http') }));
  const child = spawn(process.execPath, [AIRLOCK_BIN, 'serve', '--config', file], {
    env: { ...process.env, AIRLOCK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports = await new Promise<{ wire: number; http: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`airlock serve did not start within 30 s:\n${err}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const wire = /wire proxy on postgresql:\/\/\S+:(\d+)\//.exec(out);
      const http = /console and API on http:\/\/[^:]+:(\d+)\//.exec(out);
      if (wire && http) {
        clearTimeout(timer);
        resolve({ wire: Number(wire[1]), http: Number(http[1]) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`airlock serve exited with ${code}:\n${err}`));
    });
  });
  return {
    child,
    wirePort: ports.wire,
    httpPort: ports.http,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
    kill9: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
