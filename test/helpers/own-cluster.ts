// A private PostgreSQL cluster for fault tests (initdb in a temp dir, a free port): tests may stop,
// kill and restart it without touching the machine's shared server. Runs as the postgres user
// when the tests run as root (PostgreSQL refuses to run as root).
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface OwnCluster {
  port: number;
  /** postgresql://root@127.0.0.1:PORT/DB */
  url(db?: string): string;
  start(): void;
  /** stop fast (connections are closed) */
  stop(): void;
  /** `pg_ctl restart -m fast`: every session ends (57P01), then the server is back on the same port */
  restart(): void;
  /** stop and remove everything */
  destroy(): void;
  /** SIGSTOP / SIGCONT the postmaster: new connections are accepted by the kernel and never answered */
  freeze(): void;
  thaw(): void;
  /** the server's log so far (with `log_statement: 'all'`, every statement it ran) */
  log(): string;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const asRoot = () => userInfo().uid === 0;
const pgBin = (name: string) => {
  try {
    return join(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim(), name);
  } catch {
    return name;
  }
};

function run(bin: string, args: string[]): void {
  const cmd = asRoot() ? ['runuser', '-u', 'postgres', '--', pgBin(bin), ...args] : [pgBin(bin), ...args];
  execFileSync(cmd[0], cmd.slice(1), { stdio: 'pipe', timeout: 60_000 });
}

const postmasterPid = (data: string) => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);

/** initdb a cluster (superuser `root`, trust auth) on a free port and start it, with extra server settings. */
export async function startOwnCluster(settings: Record<string, string> = {}): Promise<OwnCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-pg-'));
  if (asRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'root', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const extra = Object.entries(settings).map(([k, v]) => ` -c ${k}=${v}`);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off${extra.join('')}`;
  const cluster: OwnCluster = {
    port,
    url: (db = 'postgres') => `postgresql://root@127.0.0.1:${port}/${db}`,
    start: () => run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', 'start']),
    stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    restart: () => run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-m', 'fast', '-w', 'restart']),
    freeze: () => process.kill(postmasterPid(data), 'SIGSTOP'),
    thaw: () => process.kill(postmasterPid(data), 'SIGCONT'),
    log: () => {
      try {
        return readFileSync(join(dir, 'log'), 'utf8');
      } catch {
        return '';
      }
    },
    destroy: () => {
      try {
        process.kill(postmasterPid(data), 'SIGCONT'); // a frozen server would never stop
      } catch {
        // not running
      }
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // not running
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
