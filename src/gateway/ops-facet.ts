// The operations side of the gateway: readiness (store, upstream, queue), the Prometheus text of
// this process, and request latency per door. The registry and prom-client are loaded on the first
// scrape, so CLI commands that open a gateway never pay for them.
import type { Registry } from 'prom-client';
import type { Door } from '../domain/request.js';
import type { GatewayMetrics, WireStats } from './metrics.js';
import type { MetricSources } from './metrics-registry.js';
import type { Readiness, ReadinessReport } from './readiness.js';

export class OpsFacet {
  private registry?: Promise<Registry>;

  constructor(private readonly parts: { metrics: GatewayMetrics; readiness: Readiness; sources: MetricSources }) {}

  readiness(): Promise<ReadinessReport> {
    return this.parts.readiness.check();
  }

  async metricsText(): Promise<{ contentType: string; body: string }> {
    this.registry ??= import('./metrics-registry.js').then((m) => m.createRegistry(this.parts.sources));
    const registry = await this.registry;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  observeLatency(door: Door, startedAt: number): void {
    this.parts.metrics.observe(door, startedAt);
  }

  /** Run one request of a door and record how long it took, whatever its outcome. */
  async timed<T>(door: Door, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.parts.metrics.observe(door, started);
    }
  }

  /** The wire proxy's pool and clients, for the gauges (`serve` connects them once it listens). */
  watchWire(stats: WireStats): void {
    this.parts.metrics.watchWire(stats);
  }
}
