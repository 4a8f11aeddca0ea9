// Per-agent limits (config `limits:`): the default merged key by key with the agent's own entry.
// - caps the agent cannot lift: rows and bytes per result, statement time. The request/response
//   doors get them here (query() runs with them, results are cut and marked `cap`); the wire proxy
//   applies them itself on its fast path (session-upstream.ts, timeout-watch.ts).
// - rates and budgets: requests per window per door, held (ask-tier) requests per window, rows
//   received per window. Over a limit: 53400 (HTTP 429) saying when to retry, and a `limit.refused`
//   audit event naming the door, the agent and the limit. Counted in memory, or in Redis (shared by
//   every gateway on it) when redis.url is set (limit-counters.ts).
import { randomUUID } from 'node:crypto';
import type { AirlockConfig, AgentLimitsConfig, LimitsConfig } from '../config/schema.js';
import type { AgentLimits, Rate, ResultCap } from '../domain/limits.js';
import type { Agent, Door, GatewayOutcome, GatewayRequest, QueryResultData } from '../domain/request.js';
import type { ApiCallOutcome, ApiCallRequest } from '../domain/api-call.js';
import type { Auditor } from '../domain/audit.js';
import { configError, tooManyAttempts, type AirlockError } from '../errors.js';
import { logger } from '../logger.js';
import { LimitCounters, isOver } from './limit-counters.js';
import type { LimitsPort } from './port.js';

/** where a refused request was going (for the audit event) */
export interface LimitScope {
  database?: string | null;
  requestId?: string | null;
}

/** what query() runs a statement with */
export interface RunCaps {
  maxRows?: number;
  maxBytes?: number;
  timeoutMs: number;
}

const finite = (n: number) => (Number.isFinite(n) ? n : undefined);
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const span = (s: number) => (s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);

export class Limits implements LimitsPort {
  private readonly resolved = new Map<string, AgentLimits>();
  /** results already cut and counted (a held result passes hold() and then query()) */
  private readonly delivered = new WeakSet<object>();
  readonly shortestTimeoutMs: number;

  private constructor(
    private readonly cfg: LimitsConfig,
    /** the statement-time cap when none is configured: what an agent could already SET (policy.maxTimeoutMs) */
    private readonly defaultTimeoutMs: number,
    private readonly counters: LimitCounters,
    private readonly audit: Auditor,
  ) {
    const caps = [cfg.default, ...Object.values(cfg.agents)].map((l) => l.statementTimeoutMs ?? defaultTimeoutMs);
    this.shortestTimeoutMs = Math.min(...caps);
  }

  static async open(config: AirlockConfig, audit: Auditor): Promise<Limits> {
    const counters = await LimitCounters.open(config.redis.url, config.limits.keyPrefix);
    return new Limits(config.limits, Math.max(config.policy.maxTimeoutMs, config.upstream.statementTimeoutMs), counters, audit);
  }

  /** Start-up: every name under limits.agents is an agent of the store (a typo would silently lift its limits). */
  static async checkAgents(cfg: LimitsConfig, store: { listAgents(): Promise<{ name: string }[]> }): Promise<void> {
    const names = Object.keys(cfg.agents);
    if (names.length === 0) return;
    const known = new Set((await store.listAgents()).map((a) => a.name));
    const unknown = names.filter((n) => !known.has(n));
    if (unknown.length === 0) return;
    const lines = unknown.map((n) => `limits.agents.${n}: no agent named "${n}" (create it with \`airlock agents create ${n}\`)`);
    throw configError(`invalid config:\n${lines.join('\n')}`);
  }

  of(agent: string): AgentLimits {
    let l = this.resolved.get(agent);
    if (!l) {
      const own = Object.hasOwn(this.cfg.agents, agent) ? this.cfg.agents[agent] : {};
      l = resolve(own, this.cfg.default, this.defaultTimeoutMs);
      this.resolved.set(agent, l);
    }
    return l;
  }

  async admit(agent: Agent, door: Door, scope: LimitScope = {}, budget = true): Promise<AirlockError | null> {
    const l = this.of(agent.name);
    if (!l.gated) return null;
    const [requests, rows] = await Promise.all([
      l.requests
        ? this.counters
            .limiter('requests', l.requests)
            .consume(`${agent.name}:${door}`)
            .then(() => null, over)
        : null,
      l.rows && budget
        ? this.counters
            .limiter('rows', l.rows)
            .get(agent.name)
            .catch(() => null)
        : null,
    ]);
    if (requests && l.requests) return this.refuse(agent.name, door, l.requests, requests.msBeforeNext, scope);
    if (rows && l.rows && rows.consumedPoints >= l.rows.limit) return this.refuse(agent.name, door, l.rows, rows.msBeforeNext, scope);
    return null;
  }

  /** A request the policy holds for approval: counted against the agent's ask budget. */
  async ask(agent: Agent, door: Door, scope: LimitScope = {}): Promise<AirlockError | null> {
    const rate = this.of(agent.name).ask;
    if (!rate) return null;
    const res = await this.counters
      .limiter('ask', rate)
      .consume(agent.name)
      .then(() => null, over);
    return res ? this.refuse(agent.name, door, rate, res.msBeforeNext, scope) : null;
  }

  chargeRows(agent: string, rows: number): void {
    const rate = this.of(agent).rows;
    if (!rate || rows <= 0) return;
    this.counters
      .limiter('rows', rate)
      .penalty(agent, rows)
      .catch((err: unknown) => logger.debug({ err }, 'limits: rows not counted'));
  }

  /** An outcome on its way to the agent: rows past its caps are cut (and the result says so), the rest counted. */
  deliver<T extends GatewayOutcome>(agent: string, outcome: T, requested = Number.POSITIVE_INFINITY): T {
    if (outcome.status !== 'executed' || !Array.isArray(outcome.result?.rows) || this.delivered.has(outcome.result)) return outcome;
    const result = capResult(outcome.result, this.of(agent), requested);
    this.delivered.add(result);
    this.chargeRows(agent, result.rows.length);
    return result === outcome.result ? outcome : { ...outcome, result };
  }

  /** query() for request/response doors: admitted, run with the caps, the result cut and counted. */
  async query(
    req: GatewayRequest,
    opts: { maxRows?: number },
    answer: (caps: RunCaps) => Promise<GatewayOutcome>,
  ): Promise<GatewayOutcome> {
    const l = this.of(req.agent.name);
    if (l.gated) {
      req.requestId ??= randomUUID();
      const refused = await this.admit(req.agent, req.door, req);
      if (refused) return { status: 'error', error: refused };
    }
    const requested = opts.maxRows ?? Number.POSITIVE_INFINITY;
    const outcome = await answer({
      maxRows: finite(Math.min(requested, l.maxRows)),
      maxBytes: finite(l.maxResultBytes),
      timeoutMs: l.statementTimeoutMs,
    });
    return this.deliver(req.agent.name, outcome, requested);
  }

  /** An API call: admitted against the requests rate of its door (rows budgets are about SQL). */
  async call(req: ApiCallRequest, send: () => Promise<ApiCallOutcome>): Promise<ApiCallOutcome> {
    if (this.of(req.agent.name).requests) {
      req.requestId ??= randomUUID();
      const refused = await this.admit(req.agent, req.door, { database: req.integration, requestId: req.requestId }, false);
      if (refused) return { status: 'error', error: refused };
    }
    return send();
  }

  close(): Promise<void> {
    return this.counters.close();
  }

  private refuse(agent: string, door: Door, rate: Rate, msBeforeNext: number, scope: LimitScope): AirlockError {
    const retry = seconds(msBeforeNext);
    const window = span(rate.windowSeconds);
    const what =
      rate.key === 'requestsPerMinute' || rate.key === 'requests'
        ? `sent more than ${rate.limit} requests in ${window} through the ${door} door`
        : rate.key === 'askPerHour' || rate.key === 'ask'
          ? `had more than ${rate.limit} requests held for approval in ${window}`
          : `has received its budget of ${rate.limit} rows per ${window}`;
    this.audit.append({
      type: 'limit.refused',
      agent,
      door,
      database: scope.database ?? null,
      requestId: scope.requestId ?? null,
      data: { limit: rate.key, max: rate.limit, windowSeconds: rate.windowSeconds, retryAfterSeconds: retry },
    });
    return tooManyAttempts(`Airlock limit reached: agent "${agent}" ${what} (limits ${rate.key}); retry in ${retry} s`, retry);
  }
}

/** a consume that went over the limit → its result; a counter failure lets the request through (logged) */
function over(err: unknown) {
  if (isOver(err)) return err;
  logger.warn({ err: (err as Error)?.message }, 'limits: counter unavailable; request admitted');
  return null;
}

/** The agent's own settings over the default, key by key (a rate's shorthand and long form are one key). */
export function resolve(own: AgentLimitsConfig, base: AgentLimitsConfig, defaultTimeoutMs: number): AgentLimits {
  const rate = (short: 'requestsPerMinute' | 'askPerHour' | 'rowsPerHour', long: 'requests' | 'ask' | 'rows', window: number) => {
    for (const layer of [own, base]) {
      const n = layer[short];
      if (n !== undefined) return { limit: n, windowSeconds: window, key: short };
      const r = layer[long];
      if (r) return { ...r, key: long };
    }
    return undefined;
  };
  const requests = rate('requestsPerMinute', 'requests', 60);
  const rows = rate('rowsPerHour', 'rows', 3600);
  return {
    maxRows: own.maxRows ?? base.maxRows ?? Number.POSITIVE_INFINITY,
    maxResultBytes: own.maxResultBytes ?? base.maxResultBytes ?? Number.POSITIVE_INFINITY,
    statementTimeoutMs: own.statementTimeoutMs ?? base.statementTimeoutMs ?? defaultTimeoutMs,
    requests,
    ask: rate('askPerHour', 'ask', 3600),
    rows,
    gated: requests !== undefined || rows !== undefined,
  };
}

/** Size of a row's values as text (what the wire would carry). */
function rowBytes(row: Record<string, unknown>): number {
  let n = 0;
  for (const v of Object.values(row)) {
    if (v === null || v === undefined) continue;
    n += typeof v === 'string' ? Buffer.byteLength(v) : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(JSON.stringify(v) ?? '');
  }
  return n;
}

/** The result within the agent's caps, marked `cap` when they cut it (rowCount stays the server's count). */
export function capResult(r: QueryResultData, l: AgentLimits, requested: number): QueryResultData {
  if (r.cap) return r;
  const total = r.rowCount ?? r.rows.length;
  let keep = r.rows.length;
  let cap: ResultCap | undefined;
  if (keep > l.maxRows) {
    keep = l.maxRows;
    cap = { limit: 'maxRows', value: l.maxRows };
  } else if (keep === l.maxRows && total > keep && l.maxRows <= requested) {
    cap = { limit: 'maxRows', value: l.maxRows }; // already cut where it ran
  }
  if (Number.isFinite(l.maxResultBytes)) {
    let bytes = 0;
    for (let i = 0; i < keep; i++) {
      bytes += rowBytes(r.rows[i]);
      if (bytes > l.maxResultBytes) {
        keep = i;
        cap = { limit: 'maxResultBytes', value: l.maxResultBytes };
        break;
      }
    }
  }
  return cap ? { ...r, rows: keep === r.rows.length ? r.rows : r.rows.slice(0, keep), cap } : r;
}
