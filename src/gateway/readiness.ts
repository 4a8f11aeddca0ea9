// Whether this gateway can do its work now (GET /readyz): the store answers, the upstream accepts a
// pooled `SELECT 1`, the approval queue (Redis when configured) answers. Each check is bounded; the
// report is cached briefly so frequent probes cost nothing, and a check still running from an
// earlier probe is awaited again rather than started twice (an unreachable host can hang a connect).
import { raceTimeout as within } from '../domain/race-timeout.js';
import { logger } from '../logger.js';

export const READINESS_CHECKS = ['store', 'upstream', 'queue'] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

export interface CheckResult {
  ok: boolean;
  /** how long the check took (or how long it was waited for) */
  ms: number;
  /** a short reason (an error code or "timed out after N ms"); details go to the log */
  error?: string;
}

export interface ReadinessReport {
  ok: boolean;
  checks: Record<ReadinessCheck, CheckResult>;
}

export interface ReadinessOptions {
  /** longest wait for one check (default 2000) */
  timeoutMs?: number;
  /** how long a report is reused (default 1000) */
  cacheMs?: number;
}

/** A short, address-free reason for a failed check: the error's code when it has one. */
function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,32}$/.test(code) ? code : 'failed';
}

export class Readiness {
  private cached: { at: number; report: ReadinessReport } | null = null;
  private running: Promise<ReadinessReport> | null = null;
  /** checks started by an earlier probe that have not settled yet */
  private readonly inFlight = new Map<ReadinessCheck, Promise<void>>();
  private readonly failing = new Set<ReadinessCheck>();
  private readonly timeoutMs: number;
  private readonly cacheMs: number;

  constructor(
    private readonly checks: Record<ReadinessCheck, () => Promise<unknown>>,
    opts: ReadinessOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.cacheMs = opts.cacheMs ?? 1000;
  }

  /** The current report: cached for cacheMs, and one run at a time however many probes ask. */
  check(): Promise<ReadinessReport> {
    if (this.cached && Date.now() - this.cached.at < this.cacheMs) return Promise.resolve(this.cached.report);
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<ReadinessReport> {
    const results = await Promise.all(READINESS_CHECKS.map((name) => this.one(name)));
    const checks = Object.fromEntries(READINESS_CHECKS.map((name, i) => [name, results[i]])) as Record<ReadinessCheck, CheckResult>;
    const report = { ok: results.every((r) => r.ok), checks };
    this.cached = { at: Date.now(), report };
    return report;
  }

  private async one(name: ReadinessCheck): Promise<CheckResult> {
    const started = performance.now();
    let probe = this.inFlight.get(name);
    if (!probe) {
      probe = this.checks[name]().then(() => undefined);
      this.inFlight.set(name, probe);
      const forget = () => void this.inFlight.delete(name);
      probe.then(forget, forget);
    }
    let error: string | undefined;
    let detail: string | undefined;
    try {
      if ((await within(probe, this.timeoutMs)) === 'timeout') error = detail = `timed out after ${this.timeoutMs} ms`;
    } catch (err) {
      error = reasonOf(err);
      detail = err instanceof Error ? err.message : String(err);
    }
    const ms = Math.round(performance.now() - started);
    this.note(name, detail);
    return error === undefined ? { ok: true, ms } : { ok: false, ms, error };
  }

  /** Log a check when it starts failing and when it recovers, not on every probe. */
  private note(name: ReadinessCheck, detail: string | undefined): void {
    if (detail !== undefined && !this.failing.has(name)) {
      this.failing.add(name);
      logger.warn({ check: name, err: detail }, `not ready: the ${name} check fails`);
    } else if (detail === undefined && this.failing.delete(name)) {
      logger.info({ check: name }, `the ${name} check passes again`);
    }
  }
}
