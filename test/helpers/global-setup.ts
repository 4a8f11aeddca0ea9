// Once per test run: build the CLI (spawned `airlock` processes run the code under test), keep local
// audit state out of ~/.airlock, and tag the run so that the teardown drops every database, schema
// and Redis key the run created, also those of suites that failed half-way.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Drop what carries the run's tag: databases, schemas of the test database, Redis keys. */
async function sweep(tag: string): Promise<void> {
  const like = `%\\_${tag}%`;
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    const dbs = await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [like]);
    for (const { datname } of dbs.rows) await c.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`);
    const schemas = await c.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [like]);
    for (const { nspname } of schemas.rows) await c.query(`DROP SCHEMA IF EXISTS "${nspname.replace(/"/g, '""')}" CASCADE`);
  } finally {
    await c.end();
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*_${tag}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // no Redis: nothing of this run is there either
  } finally {
    redis.disconnect();
  }
}

export default function setup(): () => Promise<void> {
  const state = mkdtempSync(join(tmpdir(), 'airlock-test-state-'));
  process.env.AIRLOCK_STATE_DIR ??= state;
  const tag = `t${randomBytes(3).toString('hex')}`;
  process.env.AIRLOCK_TEST_RUN = tag;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`warning: tsc reported errors; tests run on what it emitted\n${r.stdout.slice(0, 4000)}`);
  if (!existsSync(fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url))))
    throw new Error('build produced no dist/src/cli/main.js');
  buildConsoleIfStale(root);
  return async () => {
    rmSync(state, { recursive: true, force: true });
    await sweep(tag).catch((err: Error) => process.stderr.write(`warning: could not drop what the test run created: ${err.message}\n`));
  };
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
