// What the gateway counts on its hot paths, as plain numbers in typed arrays: decisions per door and
// tier, latency buckets per door, refusals while the audit trail cannot keep up. A statement costs a
// few array increments and no allocation; the Prometheus registry (metrics-registry.ts, loaded on the
// first scrape) reads these tallies and the gauges' sources only when /metrics is asked.
import { DOORS, type Door } from '../domain/request.js';
import { TIERS, type Tier } from '../domain/decision.js';

/** upper bounds of the latency histogram, seconds (an approval wait can take minutes: +Inf) */
export const LATENCY_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const DOOR_INDEX = Object.fromEntries(DOORS.map((d, i) => [d, i])) as Record<Door, number>;
const TIER_INDEX = Object.fromEntries(TIERS.map((t, i) => [t, i])) as Record<Tier, number>;

/** One door's latency: counts per bucket (not cumulative), sum and count. */
export interface LatencyTally {
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** One upstream pool as the metrics show it. */
export interface PoolUse {
  /** "wire", "read-only" or "read-write" */
  pool: string;
  database: string;
  inUse: number;
  idle: number;
  waiting: number;
}

/** What the wire proxy reports of itself (its WireServer.stats()). */
export type WireStats = () => { clients: number; pool: { database: string; total: number; idle: number; waiting: number }[] };

export class GatewayMetrics {
  /** decisions[door * TIERS.length + tier] */
  readonly decisions = new Float64Array(DOORS.length * TIERS.length);
  /** requests refused (58030) per door because the audit trail could not keep up */
  readonly refusals = new Float64Array(DOORS.length);
  readonly latency: LatencyTally[] = DOORS.map(() => ({ buckets: new Float64Array(LATENCY_BUCKETS.length), sum: 0, count: 0 }));
  private wire: WireStats | null = null;

  /** Every decision of every door, counted where the gateway audits it (request-audit.ts). */
  decided(door: Door, tier: Tier): void {
    this.decisions[DOOR_INDEX[door] * TIERS.length + TIER_INDEX[tier]]++;
  }

  refused(door: Door): void {
    this.refusals[DOOR_INDEX[door]]++;
  }

  /** A request answered, from `performance.now()` at its start. */
  observe(door: Door, startedAt: number): void {
    const tally = this.latency[DOOR_INDEX[door]];
    if (!tally) return;
    const seconds = Math.max(0, performance.now() - startedAt) / 1000;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    if (i < LATENCY_BUCKETS.length) tally.buckets[i]++;
    tally.sum += seconds;
    tally.count++;
  }

  /** The wire proxy's pool and clients, read on each scrape (`serve` connects it once the proxy listens). */
  watchWire(stats: WireStats): void {
    this.wire = stats;
  }

  /** Connected wire clients; 0 without a wire proxy. */
  wireClients(): number {
    return this.wire?.().clients ?? 0;
  }

  /** The wire proxy's pool, per database. */
  wirePools(): PoolUse[] {
    return (this.wire?.().pool ?? []).map((p) => ({
      pool: 'wire',
      database: p.database,
      inUse: p.total - p.idle,
      idle: p.idle,
      waiting: p.waiting,
    }));
  }
}
