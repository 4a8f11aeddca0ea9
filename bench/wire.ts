// `npm run bench:wire`: pgbench -S with 8 clients in each of -M simple|extended|prepared against
// PostgreSQL directly, against pgbouncer (transaction pooling, started here on a free port with a
// temp config), against a bare Node byte pipe (node-pipe.ts: the ceiling for any Node proxy here)
// and against Airlock (real Gateway: policy + audit). Prints tps, average latency, the ratios
// Airlock/pgbouncer, Airlock/direct and Airlock/node-pipe, single-client latency added by Airlock,
// and the memory per idle client connection with 1,000 connections held open.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const SECONDS = Number(process.env.WIRE_BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.WIRE_BENCH_CLIENTS ?? 8);
const IDLE = Number(process.env.WIRE_BENCH_IDLE ?? 1000);
const ADMIN = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/test';
const MODES = ['simple', 'extended', 'prepared'] as const;
/**
 * WIRE_BENCH_SOCKET=/var/run/postgresql: the three proxies reach PostgreSQL over its Unix socket in
 * that directory, as a proxy on the database's host would (pgbench still reaches each over TCP).
 */
const SOCKET_DIR = process.env.WIRE_BENCH_SOCKET || null;

interface Result {
  tps: number;
  latencyMs: number;
  failed: number;
  /** transactions pgbench completed */
  tx: number;
  error?: string;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

async function pgbench(url: string, mode: string, clients: number, seconds: number): Promise<Result> {
  const args = ['-n', '-S', '-M', mode, '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds), url];
  const r = await run('pgbench', args, { encoding: 'utf8', maxBuffer: 16 << 20 }).catch((e) => e as { stdout: string; stderr: string });
  const tps = Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(r.stdout)?.[1] ?? 0);
  const failed = Number(/number of failed transactions: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const tx = Number(/number of transactions actually processed: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const err = /error: (.*)/.exec(r.stderr ?? '')?.[1];
  return { tps, latencyMs, failed, tx, error: tps === 0 ? (err ?? 'no result') : undefined };
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time a process has used so far, all its threads, user + system, in µs (Linux /proc; null
 * elsewhere). Sampled around a run it gives the proxy's CPU per transaction: steadier than tps on
 * a VM whose speed drifts, since pgbench, PostgreSQL and the proxy share its cores.
 */
function cpuUs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
  } catch {
    return null;
  }
}

type Measured = Result & { cpuUsPerTx: number | null };

/** pgbench against a proxy, with the proxy process's CPU µs per transaction (null when unknown). */
async function measured(url: string, mode: string, pid: number | undefined): Promise<Measured> {
  const before = cpuUs(pid);
  const r = await pgbench(url, mode, CLIENTS, SECONDS);
  const after = cpuUs(pid);
  return { ...r, cpuUsPerTx: before !== null && after !== null && r.tx > 0 ? (after - before) / r.tx : null };
}

async function startPgbouncer(db: string): Promise<{ url: string; pid?: number; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-pgbouncer-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const u = new URL(ADMIN);
  writeFileSync(join(dir, 'userlist.txt'), `"${decodeURIComponent(u.username || 'root')}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${db} = host=${SOCKET_DIR ?? u.hostname} port=${u.port || 5432} dbname=${db}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'default_pool_size = 20',
      'max_client_conn = 5000',
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    ].join('\n') + '\n',
  );
  for (const f of ['userlist.txt', 'pgbouncer.ini']) chmodSync(join(dir, f), 0o644);
  const asRoot = process.getuid?.() === 0;
  const child = spawn('pgbouncer', [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  const url = `postgresql://${decodeURIComponent(u.username || 'root')}@127.0.0.1:${port}/${db}`;
  for (let i = 0; i < 50; i++) {
    try {
      const c = new pg.Client(url);
      await c.connect();
      await c.end();
      const stop = () => {
        child.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      };
      return { url, pid: child.pid, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`pgbouncer did not start: ${safeRead(join(dir, 'pgbouncer.log'))}`);
}

const safeRead = (f: string) => {
  try {
    return readFileSync(f, 'utf8').slice(-2000);
  } catch {
    return '';
  }
};

interface Airlock {
  url: string;
  pid: number;
  child: ChildProcess;
  agent: string;
  token: string;
  port: number;
  memory: () => Promise<{ rss: number; heapUsed: number; external: number; clients: number }>;
}

/** A bench child process (wire-server.ts, node-pipe.ts) and a reader of the JSON lines it prints. */
function startChild(script: string, upstream: string) {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', new URL(script, import.meta.url).pathname, upstream], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AIRLOCK_LOG_LEVEL: 'warn' },
  });
  const rl = createInterface({ input: child.stdout! });
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  rl.on('line', (l) => {
    lines.push(l);
    wake?.();
  });
  const nextLine = async () => {
    while (lines.length === 0) await new Promise<void>((r) => (wake = r));
    return lines.shift()!;
  };
  const first = Promise.race([
    nextLine(),
    new Promise<string>((_, reject) => child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))),
  ]);
  return { child, nextLine, first };
}

async function startNodePipe(upstream: string): Promise<{ url: string; pid?: number; stop: () => void }> {
  const { child, first } = startChild('./node-pipe.ts', upstream);
  const { port } = JSON.parse(await first) as { port: number };
  const u = new URL(upstream);
  u.host = `127.0.0.1:${port}`;
  u.search = ''; // pgbench reaches the pipe over TCP, whatever the pipe reaches PostgreSQL over
  return { url: u.toString(), pid: child.pid, stop: () => child.kill('SIGTERM') };
}

async function startAirlock(upstream: string): Promise<Airlock> {
  const { child, nextLine, first } = startChild('./wire-server.ts', upstream);
  const line = await first;
  const info = JSON.parse(line) as { port: number; agent: string; token: string; pid: number };
  const db = new URL(upstream).pathname.slice(1);
  const memory = async () => {
    child.kill('SIGUSR2');
    return JSON.parse(await nextLine()) as { rss: number; heapUsed: number; external: number; clients: number };
  };
  return { ...info, child, memory, url: `postgresql://${info.agent}:${encodeURIComponent(info.token)}@127.0.0.1:${info.port}/${db}` };
}

async function idleConnections(airlock: Airlock, n: number) {
  const url = airlock.url;
  const before = await airlock.memory();
  const clients: pg.Client[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => new pg.Client(url));
    await Promise.all(batch.map((c) => c.connect()));
    clients.push(...batch);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = await airlock.memory();
  const busy = await pgbench(url, 'extended', 1, 3);
  for (const c of clients) await c.end().catch(() => {});
  const mb = (b: number) => b / 1024 / 1024;
  return {
    held: after.clients - before.clients,
    perConnKb: (after.rss - before.rss) / 1024 / n,
    heapPerConnKb: (after.heapUsed + after.external - before.heapUsed - before.external) / 1024 / n,
    rssBeforeMb: mb(before.rss),
    rssAfterMb: mb(after.rss),
    latencyWithIdleMs: busy.latencyMs,
    tpsWithIdle: busy.tps,
  };
}

async function main() {
  execFileSync(new URL('../scripts/install-test-deps.sh', import.meta.url).pathname);
  const db = `airlock_wire_bench_${process.pid}`;
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const direct = (() => {
    const u = new URL(ADMIN);
    u.pathname = '/' + db;
    return u.toString();
  })();
  let bouncer: Awaited<ReturnType<typeof startPgbouncer>> | null = null;
  let airlock: Awaited<ReturnType<typeof startAirlock>> | null = null;
  let pipe: Awaited<ReturnType<typeof startNodePipe>> | null = null;
  try {
    execFileSync('pgbench', ['-i', '-q', '-s', String(process.env.WIRE_BENCH_SCALE ?? 10), direct], { stdio: 'ignore' });
    // what the proxies connect to: the same database, over the socket when asked
    const upstream = SOCKET_DIR ? `${direct}?host=${encodeURIComponent(SOCKET_DIR)}` : direct;
    bouncer = await startPgbouncer(db);
    airlock = await startAirlock(upstream);
    pipe = await startNodePipe(upstream);
    const targets = { direct, pgbouncer: bouncer.url, 'node-pipe': pipe.url, airlock: airlock.url } as const;
    const pids: Record<string, number | undefined> = { pgbouncer: bouncer.pid, 'node-pipe': pipe.pid, airlock: airlock.pid };
    const out: string[] = [];
    const line = (s: string) => {
      out.push(s);
      process.stdout.write(s + '\n');
    };
    line(
      `pgbench -S, ${CLIENTS} clients, ${SECONDS} s per run, scale ${process.env.WIRE_BENCH_SCALE ?? 10}, ${cpus().length} CPUs, audit ${process.env.WIRE_BENCH_AUDIT === 'off' ? 'OFF (diagnostic)' : 'on'}, proxies reach PostgreSQL over ${SOCKET_DIR ? `its Unix socket in ${SOCKET_DIR}` : 'TCP'}`,
    );
    line(
      `${'mode'.padEnd(9)} ${'target'.padEnd(10)} ${'tps'.padStart(10)} ${'lat ms'.padStart(8)} ${'failed'.padStart(7)} ${'proxy CPU µs/tx'.padStart(16)}`,
    );
    // the Node proxies' code is compiled while it first runs: 2 s of each mode first, unmeasured
    for (const mode of MODES) for (const url of [pipe.url, airlock.url]) await pgbench(url, mode, CLIENTS, 2);
    const summary: string[] = [];
    for (const mode of MODES) {
      const r: Record<string, Measured> = {};
      for (const [name, url] of Object.entries(targets)) {
        const m = (r[name] = await measured(url, mode, pids[name]));
        const cpuText = m.cpuUsPerTx === null ? '' : m.cpuUsPerTx.toFixed(1);
        line(
          `${mode.padEnd(9)} ${name.padEnd(10)} ${m.tps.toFixed(0).padStart(10)} ${m.latencyMs.toFixed(3).padStart(8)} ${String(m.failed).padStart(7)} ${cpuText.padStart(16)}${m.error ? '  ' + m.error : ''}`,
        );
      }
      const vsB = r.pgbouncer.tps ? (r.airlock.tps / r.pgbouncer.tps).toFixed(2) : 'n/a';
      const vsD = r.direct.tps ? (r.airlock.tps / r.direct.tps).toFixed(2) : 'n/a';
      const vsP = r['node-pipe'].tps ? (r.airlock.tps / r['node-pipe'].tps).toFixed(2) : 'n/a';
      const pipeVsB = r.pgbouncer.tps ? (r['node-pipe'].tps / r.pgbouncer.tps).toFixed(2) : 'n/a';
      const [cpuA, cpuP] = [r.airlock.cpuUsPerTx, r['node-pipe'].cpuUsPerTx];
      const cpuVsP = cpuA && cpuP ? `   proxy CPU per tx airlock/node-pipe ${(cpuA / cpuP).toFixed(2)}x` : '';
      summary.push(
        `${mode.padEnd(9)} airlock/pgbouncer ${vsB}x   airlock/direct ${vsD}x   airlock/node-pipe ${vsP}x   (node-pipe/pgbouncer ${pipeVsB}x)${cpuVsP}`,
      );
    }
    for (const s of summary) line(s);
    line('single client (-c 1), average latency:');
    for (const mode of MODES) {
      const d = await pgbench(direct, mode, 1, Math.max(3, SECONDS / 2));
      const b = await pgbench(bouncer.url, mode, 1, Math.max(3, SECONDS / 2));
      const p = await pgbench(pipe.url, mode, 1, Math.max(3, SECONDS / 2));
      const a = await pgbench(airlock.url, mode, 1, Math.max(3, SECONDS / 2));
      const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
      line(
        `${mode.padEnd(9)} direct ${us(d.latencyMs)}, pgbouncer ${us(b.latencyMs)}, node-pipe ${us(p.latencyMs)}, airlock ${us(a.latencyMs)} → added by airlock ${us(a.latencyMs - d.latencyMs)} (pgbouncer adds ${us(b.latencyMs - d.latencyMs)}, node-pipe ${us(p.latencyMs - d.latencyMs)})`,
      );
    }
    const idle = await idleConnections(airlock, IDLE);
    line(
      `${idle.held} idle client connections held: airlock RSS ${idle.rssBeforeMb.toFixed(1)} → ${idle.rssAfterMb.toFixed(1)} MB (${idle.perConnKb.toFixed(1)} KB RSS, ${idle.heapPerConnKb.toFixed(1)} KB heap per connection); while held, 1 client -M extended: ${(idle.latencyWithIdleMs * 1000).toFixed(0)} µs, ${idle.tpsWithIdle.toFixed(0)} tps`,
    );
  } finally {
    airlock?.child.kill('SIGTERM');
    pipe?.stop();
    bouncer?.stop();
    await new Promise((r) => setTimeout(r, 500));
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

await main();
process.exit(0);
