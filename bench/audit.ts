// Audit trail throughput: events/s through AuditLog (append → batched, hash-chained inserts),
// measured to the final flush, for SQLite (temp file) and PostgreSQL (own schema); plus verify.
// Each backend runs in-thread (AuditLog.inThread(store)) and threaded (AuditLog.open(url): a worker
// does redaction, hashing and inserts). main_us_per_event is what the caller's event loop pays
// per event at a steady paced load (event-loop busy time, and main-thread CPU from /proc, per
// event, minus the same loop with a do-nothing log): what the proxy's event loop pays per event.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
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

/** CPU seconds used by the main thread alone (Linux /proc; clock ticks of 10 ms); NaN elsewhere. */
function mainThreadCpu(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime
  } catch {
    return Number.NaN;
  }
}

/**
 * Main-thread cost at a steady load: `rate` events/s in 1 ms ticks for `seconds`, then flush;
 * event-loop busy time (everything the log does on this thread, driver included) per event.
 */
async function paced(log: Pick<AuditLog, 'append' | 'flush'>, rate: number, seconds: number): Promise<{ busyUs: number; cpuUs: number }> {
  const perTick = Math.max(1, Math.round(rate / 1000));
  const ticks = seconds * 1000;
  let i = 0;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpu();
  const t0 = performance.now();
  for (let t = 0; t < ticks; t++) {
    for (let k = 0; k < perTick; k++) log.append(event(i++));
    const due = t0 + t + 1;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  await log.flush();
  const elu = performance.eventLoopUtilization(elu0);
  return { busyUs: (elu.active * 1000) / i, cpuUs: ((mainThreadCpu() - cpu0) * 1e6) / i };
}

async function verifyRate(store: Store): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await verifyChain(store);
  if (!r.ok) throw new Error(`bench chain does not verify: ${JSON.stringify(r)}`);
  return r.count / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const PACED_RATE = Number(process.env.AIRLOCK_BENCH_AUDIT_RATE ?? 20_000);

/** Numbers for `npm run bench`: events/s per backend and mode, per-call append cost, main-thread cost. */
export async function benchAudit(): Promise<Record<string, number>> {
  const out: Record<string, number> = { events: N, paced_events_per_s: PACED_RATE };
  // the same paced loop with a log that does nothing: the bench's own cost, subtracted below
  const idle = await paced({ append: () => undefined, flush: async () => undefined }, PACED_RATE, 3);
  out.baseline_main_cpu_us_per_event = idle.cpuUs;
  out.baseline_main_busy_us_per_event = idle.busyUs;
  const both = async (prefix: string, url: string, store: Store, other?: Store) => {
    for (const mode of ['inthread', 'worker'] as const) {
      const make = () => (mode === 'worker' ? AuditLog.open(url) : Promise.resolve(AuditLog.inThread(store)));
      const log = await make();
      const r = await pump([log], N);
      out[`${prefix}_${mode}_events_per_s`] = r.perSecond;
      out[`${prefix}_${mode}_append_call_us`] = r.appendUs;
      const p = await paced(log, PACED_RATE, 3);
      out[`${prefix}_${mode}_main_busy_us_per_event`] = p.busyUs - idle.busyUs;
      out[`${prefix}_${mode}_main_cpu_us_per_event`] = p.cpuUs - idle.cpuUs;
      await log.close();
      if (other) {
        // two gateways on one chain: contention on the advisory lock
        const two = [await make(), mode === 'worker' ? await make() : AuditLog.inThread(other)];
        out[`${prefix}_${mode}_two_writers_events_per_s`] = (await pump(two, N / 2)).perSecond;
        await Promise.all(two.map((l) => l.close()));
      }
    }
    out[`${prefix}_verify_events_per_s`] = await verifyRate(store);
  };

  const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-'));
  try {
    const url = `sqlite:${join(dir, 'bench.sqlite')}`;
    const store = await openStore(url);
    await both('sqlite', url, store);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const schema = `bench_audit_${process.pid}_${Date.now()}`;
  try {
    const store = await openStore(DATABASE_URL, { schema });
    const other = await openStore(DATABASE_URL, { schema });
    const url = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    await both('postgres', url, store, other);
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
