// Audit trail throughput: events/s through AuditLog (append → batched, hash-chained inserts),
// measured to the final flush, for SQLite (temp file) and PostgreSQL (own schema); plus verify.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { AuditLog, verifyChain, type AuditInput } from '../src/audit/index.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/test';
const N = Number(process.env.AIRLOCK_BENCH_AUDIT_EVENTS ?? 100_000);

const event = (i: number, agent = 'bench-agent'): AuditInput => ({
  type: i % 2 ? 'decision' : 'request',
  agent,
  door: 'wire',
  database: 'app',
  decision: 'auto',
  rule: 'read-only',
  requestId: `req-${i}`,
  data: {
    sql: `SELECT id, email, created_at FROM public.users WHERE id = ${i} ORDER BY created_at DESC LIMIT 10`,
    tables: ['public.users'],
    client: 'psql',
    durationMs: i % 17,
  },
});

/** Append n events through each log concurrently; events/s to the last flush, and append() cost. */
async function pump(logs: AuditLog[], n: number): Promise<{ perSecond: number; appendUs: number }> {
  const t0 = process.hrtime.bigint();
  let appendNs = 0n;
  for (let i = 0; i < n; i++) {
    const a = process.hrtime.bigint();
    for (const [k, log] of logs.entries()) log.append(event(i, `gw-${k}`));
    appendNs += process.hrtime.bigint() - a;
    // let the writers run, as a server's event loop would between requests
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(logs.map((l) => l.flush()));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { perSecond: (n * logs.length) / seconds, appendUs: Number(appendNs) / 1000 / (n * logs.length) };
}

async function verifyRate(store: Store): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await verifyChain(store);
  if (!r.ok) throw new Error(`bench chain does not verify: ${JSON.stringify(r)}`);
  return r.count / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** Numbers for `npm run bench`: events/s per backend and per-call append cost. */
export async function benchAudit(): Promise<Record<string, number>> {
  const out: Record<string, number> = { events: N };

  const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
  try {
    const store = await openStore(`sqlite:${join(dir, 'bench.sqlite')}`);
    const r = await pump([new AuditLog(store)], N);
    out.sqlite_events_per_s = r.perSecond;
    out.sqlite_append_call_us = r.appendUs;
    out.sqlite_verify_events_per_s = await verifyRate(store);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const schema = `bench_audit_${process.pid}_${Date.now()}`;
  try {
    const store = await openStore(DATABASE_URL, { schema });
    const r = await pump([new AuditLog(store)], N);
    out.postgres_events_per_s = r.perSecond;
    out.postgres_append_call_us = r.appendUs;
    out.postgres_verify_events_per_s = await verifyRate(store);
    // two gateways on one chain: contention on the advisory lock
    const other = await openStore(DATABASE_URL, { schema });
    const two = await pump([new AuditLog(store), new AuditLog(other)], N / 2);
    out.postgres_two_writers_events_per_s = two.perSecond;
    if (!(await verifyChain(store)).ok) throw new Error('two-writer chain does not verify');
    await Promise.all([store.close(), other.close()]);
  } finally {
    const c = new pg.Client({ connectionString: DATABASE_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await benchAudit();
  for (const [k, v] of Object.entries(r)) process.stdout.write(`${k.padEnd(32)} ${Number.isInteger(v) ? v : v.toFixed(2)}\n`);
}
