// Preview latency: median/p95 of previewing a 1-row UPDATE (~200 runs), a 10,000-row UPDATE,
// an approved execution, and a read through the read-only pool, on a throwaway database.
import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { UpstreamPools } from '../src/upstream/pools.js';
import { preview } from '../src/approvals/preview.js';
import { executeApproved } from '../src/approvals/execute.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/test';
const FIXTURE = new URL('../test/corpus/bypass-fixture.sql', import.meta.url);
const RUNS = Number(process.env.AIRLOCK_BENCH_PREVIEW_RUNS ?? 200);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** Returns milliseconds; creates and drops its own database. */
export async function benchPreview(): Promise<Record<string, number>> {
  const name = `bench_preview_${randomBytes(4).toString('hex')}`;
  const root = new pg.Client({ connectionString: DATABASE_URL });
  await root.connect();
  await root.query(`CREATE DATABASE ${name}`);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  const setup = new pg.Client({ connectionString: url.toString() });
  await setup.connect();
  await setup.query(readFileSync(FIXTURE, 'utf8'));
  await setup.query('CREATE TABLE big (id int PRIMARY KEY, v int); INSERT INTO big SELECT g, g FROM generate_series(1, 10000) g');
  await setup.end();
  const pools = new UpstreamPools({ url: DATABASE_URL, statementTimeoutMs: 30_000, poolSize: 4 });
  try {
    const one = { database: name, sql: 'UPDATE orders SET total = total + 1 WHERE id = 1', rowLimit: 50, timeoutMs: 5000 };
    await time(20, () => preview(pools, one)); // warm up: parser, pools, catalog caches
    const small = await time(RUNS, () => preview(pools, one));
    const bigRuns = await time(10, () => preview(pools, { ...one, sql: 'UPDATE big SET v = v + 1' }));
    const exec = await time(50, () =>
      executeApproved(pools, { approvalId: randomUUID(), database: name, sql: one.sql, expected: undefined, tolerance: 0 }),
    );
    const reads = await time(RUNS, () => pools.runReadOnly(name, 'SELECT * FROM orders WHERE id = $1', [1]));
    return {
      'preview 1-row UPDATE median ms': quantile(small, 0.5),
      'preview 1-row UPDATE p95 ms': quantile(small, 0.95),
      'preview 10k-row UPDATE median ms': quantile(bigRuns, 0.5),
      'execute 1-row UPDATE median ms': quantile(exec, 0.5),
      'runReadOnly 1-row SELECT median ms': quantile(reads, 0.5),
    };
  } finally {
    await pools.close();
    await root.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await root.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchPreview();
  for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(40)} ${v.toFixed(2)}\n`);
}
