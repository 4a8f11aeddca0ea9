// Issue 15, item 4: Prometheus /metrics of a real `airlock serve`: decisions per door and tier (one
// auto SELECT through the wire proxy, one through MCP), latency per door, pending approvals read from
// the store, pool use, queue depth, audit lag; reachable without sign-in by default, behind
// `metrics.token` when set, gone with `metrics.enabled: false`.
import type pg from 'pg';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { mcpClient, mcpQuery, opsEnv, sample, wireClient, type OpsEnv } from './ops-env.js';

let env: OpsEnv;
let serve: ServeProcess;
let wire: pg.Client;
let mcp: Client;
const others: ServeProcess[] = [];

beforeAll(async () => {
  env = await opsEnv('metrics');
  serve = await startServe(env.config());
  wire = await wireClient(env, serve.wirePort);
  mcp = await mcpClient(env, serve.httpPort);
});

afterAll(async () => {
  await wire?.end().catch(() => undefined);
  await mcp?.close().catch(() => undefined);
  await Promise.all([serve, ...others].map((s) => s?.stop()));
  await env?.drop();
});

const scrape = async (s: ServeProcess, headers: Record<string, string> = {}) => {
  const r = await fetch(`http://127.0.0.1:${s.httpPort}/metrics`, { headers });
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
};

const requests = (door: string, decision: string) => `airlock_requests_total{door="${door}",decision="${decision}"}`;

describe('/metrics', () => {
  it('counts one auto SELECT through the wire and one through MCP, with their latency', async () => {
    expect((await wire.query('SELECT v FROM t WHERE id = 1')).rows).toEqual([{ v: 'a' }]);
    expect((await mcpQuery(mcp, 'SELECT v FROM t WHERE id = 1')).status).toBe('executed');

    const m = await scrape(serve);
    expect(m.status).toBe(200);
    expect(m.type).toContain('text/plain');
    expect(sample(m.text, requests('wire', 'auto'))).toBe(1);
    expect(sample(m.text, requests('mcp', 'auto'))).toBe(1);
    for (const d of ['ask', 'block']) {
      expect(sample(m.text, requests('wire', d))).toBe(0);
      expect(sample(m.text, requests('mcp', d))).toBe(0);
    }
    for (const door of ['wire', 'mcp']) {
      expect(sample(m.text, `airlock_request_duration_seconds_count{door="${door}"}`), door).toBe(1);
      expect(sample(m.text, `airlock_request_duration_seconds_sum{door="${door}"}`), door).toBeGreaterThan(0);
      expect(sample(m.text, `airlock_request_duration_seconds_bucket{door="${door}",le="+Inf"}`), door).toBe(1);
    }
    // the wire proxy's pool and client, the API pools MCP used
    expect(sample(m.text, 'airlock_wire_clients')).toBe(1);
    const wirePool = (state: string) => `airlock_upstream_connections{pool="wire",database="${env.database}",state="${state}"}`;
    expect(sample(m.text, wirePool('in_use'))! + sample(m.text, wirePool('idle'))!).toBe(1);
    expect(sample(m.text, wirePool('waiting'))).toBe(0);
    expect(sample(m.text, `airlock_upstream_connections{pool="read-only",database="${env.database}",state="idle"}`)).toBeGreaterThan(0);
    // gauges of the parts, and the default process metrics
    expect(sample(m.text, 'airlock_approvals_pending')).toBe(0);
    expect(sample(m.text, 'airlock_queue_depth')).toBe(0);
    expect(sample(m.text, 'airlock_audit_pending_events')).toBeGreaterThanOrEqual(0);
    expect(sample(m.text, 'airlock_audit_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(m.text, 'airlock_audit_dropped_events_total')).toBe(0);
    expect(sample(m.text, 'airlock_audit_refusals_total{door="wire"}')).toBe(0);
    expect(sample(m.text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(m.text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts ask and block decisions, and reads pending approvals from the store', async () => {
    expect((await mcpQuery(mcp, "UPDATE t SET v = 'b' WHERE id = 1")).status).toBe('pending');
    await expect(wire.query('DROP TABLE t')).rejects.toThrow(/blocked/);
    const m = await scrape(serve);
    expect(sample(m.text, requests('mcp', 'ask'))).toBe(1);
    expect(sample(m.text, requests('wire', 'block'))).toBe(1);
    expect(sample(m.text, 'airlock_approvals_pending')).toBe(1);
  });

  it('asks for the bearer token when metrics.token is set, and is gone when disabled', async () => {
    const token = 'metrics-token-0123456789';
    const guarded = await startServe(env.config({ metrics: { token } }));
    others.push(guarded);
    expect((await scrape(guarded)).status).toBe(401);
    expect((await scrape(guarded, { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    const ok = await scrape(guarded, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('airlock_requests_total');
    // the probes stay open
    expect((await fetch(`http://127.0.0.1:${guarded.httpPort}/readyz`)).status).toBe(200);

    const off = await startServe(env.config({ metrics: { enabled: false } }));
    others.push(off);
    expect((await scrape(off)).status).toBe(404);
  });
});
