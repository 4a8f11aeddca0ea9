// The parts behind /readyz and /metrics, in-process: the readiness report's bound, cache and single
// in-flight check; the hot-path tallies; and the Prometheus text the registry makes of them.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Readiness } from '../../src/gateway/readiness.js';
import { GatewayMetrics, LATENCY_BUCKETS } from '../../src/gateway/metrics.js';
import { createRegistry } from '../../src/gateway/metrics-registry.js';
import { sample } from './ops-env.js';

const ok = async () => undefined;

describe('Readiness', () => {
  it('bounds a check that hangs, names it, and does not start it again while it still runs', async () => {
    let started = 0;
    const hang = () => {
      started++;
      return new Promise<void>(() => undefined);
    };
    const r = new Readiness({ store: ok, upstream: hang, queue: ok }, { timeoutMs: 50, cacheMs: 0 });
    const t0 = Date.now();
    const first = await r.check();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(first.ok).toBe(false);
    expect(first.checks.upstream).toMatchObject({ ok: false, error: 'timed out after 50 ms' });
    expect(first.checks.store.ok).toBe(true);
    await r.check();
    expect(started, 'the hanging check is awaited again, not started twice').toBe(1);
  });

  it('reports an error code, caches the report, and sees the part come back', async () => {
    let fail = true;
    let calls = 0;
    const upstream = async () => {
      calls++;
      if (fail) throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' });
    };
    const r = new Readiness({ store: ok, upstream, queue: ok }, { timeoutMs: 500, cacheMs: 100 });
    const [a, b] = await Promise.all([r.check(), r.check()]);
    expect(a).toBe(b);
    expect(a.checks.upstream).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
    expect(JSON.stringify(a)).not.toContain('10.0.0.1');
    fail = false;
    expect((await r.check()).ok, 'cached').toBe(false);
    expect(calls).toBe(1);
    await sleep(120);
    expect((await r.check()).ok).toBe(true);
    expect(calls).toBe(2);
  });
});

describe('GatewayMetrics and its registry', () => {
  it('counts decisions and latency per door and exposes them as Prometheus text', async () => {
    const m = new GatewayMetrics();
    m.decided('wire', 'auto');
    m.decided('wire', 'auto');
    m.decided('api', 'block');
    m.refused('mcp');
    const now = performance.now();
    m.observe('wire', now - 3); // ~3 ms
    m.observe('wire', now - 2000); // ~2 s
    m.watchWire(() => ({ clients: 2, pool: [{ database: 'app', total: 3, idle: 1, waiting: 4 }] }));
    let silent = 1;
    const registry = createRegistry({
      metrics: m,
      pendingApprovals: async () => 5,
      // the first scrape finds the queue silent (NaN after the bound, the scrape does not hang)
      queueDepth: () => (silent-- > 0 ? new Promise<number>(() => undefined) : Promise.resolve(0)),
      audit: () => ({ pending: 7, lagMs: 1500, dropped: 2 }),
      pools: () => m.wirePools(),
    });
    const text = await registry.metrics();
    expect(sample(text, 'airlock_requests_total{door="wire",decision="auto"}')).toBe(2);
    expect(sample(text, 'airlock_requests_total{door="api",decision="block"}')).toBe(1);
    expect(sample(text, 'airlock_requests_total{door="rest",decision="ask"}')).toBe(0);
    expect(sample(text, 'airlock_audit_refusals_total{door="mcp"}')).toBe(1);
    expect(sample(text, 'airlock_request_duration_seconds_bucket{door="wire",le="0.001"}')).toBe(0);
    expect(sample(text, 'airlock_request_duration_seconds_bucket{door="wire",le="0.005"}')).toBe(1);
    expect(sample(text, 'airlock_request_duration_seconds_bucket{door="wire",le="2.5"}')).toBe(2);
    expect(sample(text, `airlock_request_duration_seconds_bucket{door="wire",le="${LATENCY_BUCKETS.at(-1)}"}`)).toBe(2);
    expect(sample(text, 'airlock_request_duration_seconds_count{door="wire"}')).toBe(2);
    expect(sample(text, 'airlock_request_duration_seconds_sum{door="wire"}')).toBeCloseTo(2.003, 1);
    expect(text).toContain('# TYPE airlock_request_duration_seconds histogram');
    expect(sample(text, 'airlock_approvals_pending')).toBe(5);
    expect(text).toMatch(/^airlock_queue_depth nan$/im); // prom-client writes "Nan", which Prometheus reads as NaN
    expect(sample(text, 'airlock_audit_pending_events')).toBe(7);
    expect(sample(text, 'airlock_audit_lag_seconds')).toBe(1.5);
    expect(sample(text, 'airlock_audit_dropped_events_total')).toBe(2);
    expect(sample(text, 'airlock_wire_clients')).toBe(2);
    expect(sample(text, 'airlock_upstream_connections{pool="wire",database="app",state="in_use"}')).toBe(2);
    expect(sample(text, 'airlock_upstream_connections{pool="wire",database="app",state="waiting"}')).toBe(4);
    // a second scrape does not double the counters
    const again = await registry.metrics();
    expect(sample(again, 'airlock_requests_total{door="wire",decision="auto"}')).toBe(2);
    expect(sample(again, 'airlock_queue_depth')).toBe(0);
  });
});
