// The Prometheus registry of one gateway process, built on the first scrape (prom-client is loaded
// then, not by every CLI command): the default process metrics, the hot-path tallies of
// GatewayMetrics folded in at scrape time, and gauges read from their sources (store, queue, audit
// log, pools), each bounded so a scrape never hangs on a part that does not answer.
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { DOORS } from '../domain/request.js';
import { TIERS } from '../domain/decision.js';
import { LATENCY_BUCKETS, type GatewayMetrics, type PoolUse } from './metrics.js';
import { raceTimeout as within } from '../domain/race-timeout.js';

/** What the gauges read on each scrape. */
export interface MetricSources {
  metrics: GatewayMetrics;
  pendingApprovals(): Promise<number>;
  queueDepth(): Promise<number>;
  audit(): { pending: number; lagMs: number; dropped: number };
  pools(): PoolUse[];
}

/** a gauge whose source did not answer within this shows NaN for that scrape */
const SOURCE_TIMEOUT_MS = 2000;

const valueOrNaN = async (read: () => Promise<number>): Promise<number> => {
  const r = await within(read(), SOURCE_TIMEOUT_MS).catch(() => 'timeout' as const);
  return r === 'timeout' ? Number.NaN : r.value;
};

export function createRegistry(src: MetricSources): Registry {
  const registry = new Registry();
  const registers = [registry];
  const m = src.metrics;
  collectDefaultMetrics({ register: registry });

  new Counter({
    name: 'airlock_requests_total',
    help: 'Decisions of the policy, by door and tier (auto, ask, block)',
    labelNames: ['door', 'decision'] as const,
    registers,
    collect() {
      this.reset();
      DOORS.forEach((door, d) => TIERS.forEach((decision, t) => this.inc({ door, decision }, m.decisions[d * TIERS.length + t])));
    },
  });
  registry.registerMetric(latencyHistogram(m) as unknown as Metric);
  new Counter({
    name: 'airlock_audit_refusals_total',
    help: 'Requests refused (SQLSTATE 58030) because the audit trail could not keep up, by door',
    labelNames: ['door'] as const,
    registers,
    collect() {
      this.reset();
      DOORS.forEach((door, d) => this.inc({ door }, m.refusals[d]));
    },
  });
  new Counter({
    name: 'airlock_audit_dropped_events_total',
    help: 'Audit events dropped because the backlog was full (the store was unreachable too long)',
    registers,
    collect() {
      this.reset();
      this.inc(src.audit().dropped);
    },
  });
  new Gauge({
    name: 'airlock_audit_pending_events',
    help: 'Audit events appended and not yet stored in the hash chain (journaled events included)',
    registers,
    collect() {
      this.set(src.audit().pending);
    },
  });
  new Gauge({
    name: 'airlock_audit_lag_seconds',
    help: 'Age of the oldest audit event not yet stored',
    registers,
    collect() {
      this.set(src.audit().lagMs / 1000);
    },
  });
  new Gauge({
    name: 'airlock_approvals_pending',
    help: 'Approvals waiting for a reviewer (read from the store on each scrape; NaN when it does not answer)',
    registers,
    async collect() {
      this.set(await valueOrNaN(() => src.pendingApprovals()));
    },
  });
  new Gauge({
    name: 'airlock_queue_depth',
    help: 'Approved executions queued, waiting for a retry or running (NaN when the queue does not answer)',
    registers,
    async collect() {
      this.set(await valueOrNaN(() => src.queueDepth()));
    },
  });
  new Gauge({
    name: 'airlock_upstream_connections',
    help: 'Upstream pool use: connections in use, idle, and requests waiting for one, per pool and database',
    labelNames: ['pool', 'database', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of src.pools()) {
        this.set({ pool: p.pool, database: p.database, state: 'in_use' }, p.inUse);
        this.set({ pool: p.pool, database: p.database, state: 'idle' }, p.idle);
        this.set({ pool: p.pool, database: p.database, state: 'waiting' }, p.waiting);
      }
    },
  });
  new Gauge({
    name: 'airlock_wire_clients',
    help: 'Client connections of the wire proxy',
    registers,
    collect() {
      this.set(m.wireClients());
    },
  });
  return registry;
}

/**
 * airlock_request_duration_seconds{door}: a histogram read straight from the tallies. prom-client's
 * own Histogram hashes its labels on every observation; this one is only read at scrape time.
 */
function latencyHistogram(m: GatewayMetrics) {
  const name = 'airlock_request_duration_seconds';
  const help = 'Time to answer a request, by door (wire: a statement from its classification to its ReadyForQuery)';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      DOORS.forEach((door, d) => {
        const t = m.latency[d];
        let cumulative = 0;
        LATENCY_BUCKETS.forEach((le, i) => {
          cumulative += t.buckets[i];
          values.push({ metricName: `${name}_bucket`, labels: { door, le }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { door, le: '+Inf' }, value: t.count });
        values.push({ metricName: `${name}_sum`, labels: { door }, value: t.sum });
        values.push({ metricName: `${name}_count`, labels: { door }, value: t.count });
      });
      return { name, help, type: 'histogram', values, aggregator: 'sum' };
    },
  };
}
