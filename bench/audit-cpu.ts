// Audit CPU per statement, all threads (issue 17's target ≤ 5 µs): the wire proxy's decision lines
// (encodeDecisionLine, its hot path) appended at a paced 30,000/s for 5 s through the default audit
// log of `airlock serve` (journal + worker thread + SQLite store), to the last stored event. CPU of
// the whole process (every thread) and of the main thread alone, minus the same paced loop with a
// loop that appends nothing, per event (the line's encoding counts as audit work).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../src/audit/index.js';
import { decisionLineParts, encodeDecisionLine } from '../src/audit/audit-line.js';

const RATE = Number(process.env.AIRLOCK_BENCH_AUDIT_RATE ?? 30_000);
const SECONDS = 5;
const parts = decisionLineParts(
  { decision: 'auto', rule: 'auto.read', reason: 'read-only query with only safe functions' },
  ['read'],
  ['pgbench_accounts'],
);

/** CPU µs of one thread of this process (Linux /proc, 10 ms ticks). */
function threadCpuUs(tid: string | number): number {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) / 100) * 1e6;
  } catch {
    return 0; // the thread ended
  }
}

const mainCpuUs = () => threadCpuUs(process.pid);

/** CPU µs per thread other than the main one. */
const otherThreads = () =>
  new Map(
    readdirSync('/proc/self/task')
      .filter((t) => t !== String(process.pid))
      .map((t) => [t, threadCpuUs(t)]),
  );

/** CPU µs of the whole process, every thread. */
export const allCpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function paced(
  appendLine: ((line: string) => void) | null,
  flush: () => Promise<void>,
): Promise<{ all: number; main: number; n: number }> {
  const perTick = Math.round(RATE / 1000);
  const [all0, main0] = [allCpuUs(), mainCpuUs()];
  const t0 = performance.now();
  let n = 0;
  for (let t = 0; t < SECONDS * 1000; t++) {
    for (let k = 0; k < perTick; k++, n++) {
      if (appendLine === null) continue;
      const sql = `SELECT abalance FROM pgbench_accounts WHERE aid = ${n % 100_000};`;
      appendLine(encodeDecisionLine(parts, { ts: Date.now(), agent: 'bench', door: 'wire', database: 'bench', client: 'pgbench', sql }));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + t + 1 - performance.now())));
  }
  await flush();
  return { all: allCpuUs() - all0, main: mainCpuUs() - main0, n };
}

export async function benchAuditCpu(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-cpu-'));
  try {
    const idle = await paced(null, async () => undefined);
    const log = await AuditLog.open(`sqlite:${join(dir, 'store.sqlite')}`);
    await paced(
      (l) => log.appendLine(l),
      () => log.flush(),
    ); // warm-up (JIT, worker, table pages)
    const before = otherThreads();
    const r = await paced(
      (l) => log.appendLine(l),
      () => log.flush(),
    );
    // the audit worker is the busiest thread besides the main one; the rest is V8's helpers (GC, compiler) and libuv's
    const deltas = [...otherThreads()].map(([t, us]) => us - (before.get(t) ?? 0)).sort((a, b) => b - a);
    await log.close();
    const all = (r.all - idle.all) / r.n;
    const main = (r.main - idle.main) / r.n;
    const worker = (deltas[0] ?? 0) / r.n;
    return {
      statements_per_s: RATE,
      audit_cpu_us_per_statement_all_threads: all,
      audit_cpu_us_main_thread: main,
      audit_cpu_us_other_threads: all - main,
      audit_cpu_us_worker_thread: worker,
      audit_cpu_us_helper_threads: all - main - worker,
      target_us: 5,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
