// What a gateway is made of, opened in order from its config: policy engine, integrations, store,
// audit log (journaled here, stored by a worker thread), upstream pools, queue, vault, the approval
// spine and the API proxy — and how to close them, in reverse; with what operations read of them
// (metrics, readiness).
import type { AirlockConfig } from '../config/schema.js';
import type { ApiCallSpec } from '../domain/approval.js';
import type { ApiResponse } from '../domain/api-call.js';
import { PolicyEngine, initPolicy } from '../policy/engine.js';
import { openStore } from '../store/open.js';
import { AuditLog } from '../audit/audit-log.js';
import { Targets, targetOf } from '../domain/targets.js';
import { UpstreamPools } from '../upstream/pools.js';
import { openQueue } from '../approvals/queue.js';
import { Notifier } from '../approvals/webhook.js';
import { ApprovalService } from '../approvals/service.js';
import { Vault } from '../vault/vault.js';
import { ApiCalls } from './api-calls.js';
import { loadIntegrations } from './load-integrations.js';
import { GatewayMetrics } from './metrics.js';
import type { MetricSources } from './metrics-registry.js';
import { Readiness } from './readiness.js';
import { RequestAudit } from './request-audit.js';
import { Limits } from './limits.js';
import { parseUpstreamUrl } from '../upstream/url.js';
import type { UpstreamSettings } from './port.js';

export interface PartsOptions {
  queueName?: string;
  storeSchema?: string;
}

export async function openParts(config: AirlockConfig, opts: PartsOptions) {
  await initPolicy();
  // definitions first: a bad one stops the start before anything is opened
  const registry = loadIntegrations(config.integrations);
  const engine = new PolicyEngine(config.policy);
  const store = await openStore(config.store.url, opts.storeSchema ? { schema: opts.storeSchema } : {});
  // limits naming an agent the store does not know stop the start (a typo would lift that agent's limits)
  await Limits.checkAgents(config.limits, store).catch(async (err: unknown) => {
    await store.close().catch(() => undefined);
    throw err;
  });
  // journaled in this thread (durable against kill -9), hashed and stored by a worker thread
  const audit = await AuditLog.open(config.store.url, { schema: opts.storeSchema, store, ...config.audit });
  const targets = new Targets(config);
  const pools = new UpstreamPools({ ...config.upstream, urlOf: (database) => targets.of(database).url });
  const queue = openQueue({ redisUrl: config.redis.url, name: opts.queueName ?? config.redis.queueName });
  const notifier = new Notifier(config.approvals.webhooks);
  const publicUrl = config.http.publicUrl ?? `http://${config.http.host}:${config.http.port}`;
  // a wrong master key stops the start here, before anything is read or written
  const vault = await Vault.open(store, audit, { storeUrl: config.store.url, schema: opts.storeSchema, create: false }).catch(
    async (err: unknown) => {
      await audit.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw err;
    },
  );
  // approved API calls go back to the API proxy, which holds new ones through the approvals
  const calls = {
    send: (spec: ApiCallSpec, id: string): Promise<ApiResponse> => api.sendApproved(spec, id),
    idempotent: (spec: ApiCallSpec): boolean => api.idempotent(spec),
  };
  const approvals: ApprovalService = new ApprovalService({
    store,
    audit,
    pools,
    queue,
    notifier,
    config: config.approvals,
    publicUrl,
    calls,
  });
  const metrics = new GatewayMetrics();
  const requests = new RequestAudit(audit, metrics);
  const limits = await Limits.open(config, audit);
  const api: ApiCalls = new ApiCalls({ config, registry, vault, audit, approvals: () => approvals, requests, limits });
  await api.refreshSecrets();
  const closers = [
    () => limits.close(),
    async () => api.close(),
    () => approvals.stop(),
    () => queue.close(),
    () => notifier.flush(),
    () => pools.close(),
    () => audit.close(),
    () => store.close(),
  ];
  const readiness = new Readiness({
    store: () => store.countApprovals(['pending']),
    upstream: () => pools.ping(),
    queue: async () => {
      if (!(await queue.healthy())) throw new Error(`the approval queue (${queue.backend}) does not answer`);
    },
  });
  const sources: MetricSources = {
    metrics,
    pendingApprovals: () => store.countApprovals(['pending']),
    queueDepth: () => queue.depth(),
    audit: () => {
      const h = audit.health();
      return { pending: h.pending, lagMs: h.lagMs, dropped: audit.droppedTotal };
    },
    pools: () => [...pools.stats().map((p) => ({ pool: p.kind, ...p })), ...metrics.wirePools()],
  };
  return { engine, store, audit, pools, targets, approvals, closers, api, requests, limits, ops: { metrics, readiness, sources } };
}

/** Connection settings of the upstream for the wire fast path. */
export function upstreamSettings(config: AirlockConfig, database: string): UpstreamSettings & { idleInTransactionTimeoutMs: number } {
  const t = parseUpstreamUrl(targetOf(config, database).url);
  return {
    host: String(t.base.host ?? '127.0.0.1'),
    port: Number(t.base.port ?? 5432),
    user: String(t.base.user ?? 'postgres'),
    password: typeof t.base.password === 'string' ? t.base.password : undefined,
    database,
    statementTimeoutMs: config.upstream.statementTimeoutMs,
    connectTimeoutMs: Number(t.base.connectionTimeoutMillis) || undefined,
    idleInTransactionTimeoutMs: config.upstream.idleInTransactionTimeoutMs,
    sharedBackend: config.upstream.sharedBackend,
    sslmode: t.sslmode,
    options: t.extraOptions || undefined,
  };
}

export type GatewayParts = Awaited<ReturnType<typeof openParts>>;
