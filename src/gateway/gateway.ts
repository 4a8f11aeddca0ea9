// The one service every front door calls: analyze → decide → run | hold | refuse → audit.
// Doors translate their protocol into a GatewayRequest; rules live in the policy engine only.
import { randomUUID } from 'node:crypto';
import type { AirlockConfig } from '../config/schema.js';
import type { GatewayOutcome, GatewayRequest } from '../domain/request.js';
import type { Decision } from '../domain/decision.js';
import type { Store } from '../store/store.js';
import type { PolicyEngine } from '../policy/engine.js';
import { AuditLog } from '../audit/audit-log.js';
import { UpstreamPools } from '../upstream/pools.js';
import { CatalogCache } from '../upstream/catalog-cache.js';
import { Targets } from '../domain/targets.js';
import { approvalOutcome } from '../approvals/outcome.js';
import { ApprovalService } from '../approvals/service.js';
import { asAirlockError, configError, insufficientPrivilege, undefinedObject } from '../errors.js';
import type { GatewayPort } from './port.js';
import { logger } from '../logger.js';
import { ConsoleFacet } from './console-facet.js';
import type { AdminPort, ReviewersPort, ReviewPort } from './port.js';
import { AdminFacet } from './admin-facet.js';
import { ReviewerAccounts } from './reviewer-accounts.js';
import type { RequestAudit } from './request-audit.js';
import { OpsFacet } from './ops-facet.js';
import { RevocationWatch } from './revocation-watch.js';
import type { ApiCalls } from './api-calls.js';
import { openParts, upstreamSettings } from './gateway-parts.js';
import type { Limits, RunCaps } from './limits.js';
import type { ApiPort, OpsPort, RequestPort, VaultPort } from './port.js';
import { Masking } from './masking.js';

export interface GatewayOptions {
  /** BullMQ queue name (tests use their own); default "airlock-executions" */
  queueName?: string;
  /** PostgreSQL store schema (tests use their own) */
  storeSchema?: string;
  /** start queue consumers, recovery and the expiry sweeper (default true) */
  startWorkers?: boolean;
}

/** what an approval without a stored decision was: held for review */
const HELD: Decision = { decision: 'ask', rule: 'ask', reason: 'held for approval', statements: [] };
const OPEN_STATUSES: readonly string[] = ['pending', 'approved', 'executing'];

export class Gateway implements GatewayPort {
  private constructor(
    readonly config: AirlockConfig,
    readonly engine: PolicyEngine,
    readonly store: Store,
    readonly audit: AuditLog,
    readonly pools: UpstreamPools,
    readonly approvals: ApprovalService,
    private readonly closers: (() => Promise<unknown>)[],
    private readonly api: ApiCalls,
    private readonly requests: RequestAudit,
    readonly ops: OpsFacet, // readiness, metrics, latency (`serve` connects the wire proxy's stats)
    readonly limits: Limits, // per-agent caps and rates (limits.ts)
    storeSchema?: string,
  ) {
    this.targets = new Targets(config);
    this.masking = new Masking(config, this.targets, (database) => this.catalogs.get(database), storeSchema);
    const covers = this.masking.active ? this.masking.covers : undefined;
    this.catalogs = new CatalogCache(pools, config.upstream.catalogRefreshSeconds * 1000, undefined, covers);
    // webhook notices show previews as a reviewer without the unmask permission would see them
    if (this.masking.active) approvals.review.setNoticeView((rec) => this.masking.forReviewer(rec, null));
    this.admin = new AdminFacet({ config, store, audit, review: approvals.review, storeSchema });
    this.accounts = new ReviewerAccounts(config, store, audit);
    this.revocations = new RevocationWatch(store);
  }

  private readonly catalogs: CatalogCache;
  /** column masking: results, previews and wire DataRows pass through it (masking.ts) */
  readonly masking: Masking;
  /** which upstream (name, label) serves each database */
  readonly targets: Targets;
  private readonly admin: AdminFacet;
  private readonly accounts: ReviewerAccounts;
  private readonly revocations: RevocationWatch;

  /** Open the store, audit log, upstream pools, queue and approval service described by the config. */
  static async open(config: AirlockConfig, opts: GatewayOptions = {}): Promise<Gateway> {
    const { engine, store, audit, pools, approvals, closers, api, requests, ops, limits } = await openParts(config, opts);
    const ofs = new OpsFacet(ops);
    const gw = new Gateway(config, engine, store, audit, pools, approvals, closers, api, requests, ofs, limits, opts.storeSchema);
    if (opts.startWorkers !== false) {
      await approvals.start();
      // a revoked agent's open approvals are closed; approved ones no longer execute (service.execute)
      gw.onAgentRevoked((agent) => void approvals.review.closeForRevoked(agent).catch(() => undefined));
    }
    return gw;
  }

  /**
   * Classify and audit. Synchronous and cached: the wire proxy calls it for every statement.
   * Throws 58030 while the audit trail cannot keep up: nothing runs unaudited.
   */
  decide(req: GatewayRequest): Decision {
    this.requests.admit(req);
    const target = this.targets.of(req.database);
    const decision = this.engine.decide(req.sql, {
      agent: req.agent.name,
      database: req.database,
      target: target.name,
      label: target.label,
      catalog: this.catalogs.get(req.database),
      prepared: req.session?.prepared,
    });
    this.requests.decision(req, decision);
    return decision;
  }

  /** Before any result goes back to an agent: everything audited so far (or up to a mark) is durable, or this throws 58030. */
  ensureAudited(upTo?: number): void {
    this.requests.ensureDurable(upTo);
  }

  auditMark(): number {
    return this.requests.mark;
  }

  /** Audit a decision already made (a prepared statement run again); throws 58030 like decide(). */
  auditDecision(req: GatewayRequest, decision: Decision): void {
    this.requests.decision(req, decision);
  }

  async hold(req: GatewayRequest, decision: Decision): Promise<GatewayOutcome> {
    const refused = await this.limits.ask(req.agent, req.door, req); // the agent's budget of held requests
    if (refused) return { status: 'error', decision, error: refused };
    try {
      return this.deliver(req.agent.name, req.database, await this.approvals.hold(req, decision, this.engine.analyze(req.sql).statements));
    } catch (err) {
      const error = asAirlockError(err);
      this.requests.failure(req, 'error', decision, error);
      return { status: 'error', decision, error };
    }
  }

  async awaitOutcome(approvalId: string, timeoutMs: number, signal?: AbortSignal): Promise<GatewayOutcome> {
    const rec = await this.approvals.get(approvalId);
    const decision = rec.decision ?? { decision: 'ask', rule: 'ask', reason: 'held', statements: [] };
    // counted while it runs: the console shows whether a client still waits
    const outcome = await this.console.waiting(approvalId, () => this.approvals.awaitOutcome(approvalId, timeoutMs, decision, signal));
    return this.deliver(rec.agentName, rec.database, outcome);
  }

  /**
   * What an agent gets of an outcome: masked columns replaced (its result, or the rows of a held
   * write's preview), then cut and counted by its limits.
   */
  private deliver<T extends GatewayOutcome>(agent: string, database: string, outcome: T): T {
    const masker = this.masking.forAgent(agent, database);
    if (masker && outcome.status === 'executed' && Array.isArray(outcome.result?.rows)) {
      outcome = { ...outcome, result: this.masking.result(outcome.result, masker) };
    } else if (masker && outcome.status === 'pending') {
      outcome = { ...outcome, preview: this.masking.preview(outcome.preview, outcome.decision, masker) };
    }
    return this.limits.deliver(agent, outcome);
  }

  upstream(database: string) {
    return upstreamSettings(this.config, database);
  }

  /** Who the gateway is upstream: a superuser or BYPASSRLS role defeats the read-only backstop (serve warns). */
  upstreamRole() {
    return this.pools.checkUpstreamRole();
  }

  masker: RequestPort['masker'] = (agent, database) => this.masking.forAgent(agent, database);

  /**
   * Start-up (the upstream answers): every masking column named without `*` exists in one of the
   * databases the config names, else a config error naming the key; nothing starts half-configured.
   */
  async checkMasking(): Promise<void> {
    if (!this.masking.active) return;
    const databases = [this.pools.defaultDatabase, ...this.config.targets.flatMap((t) => t.databases)];
    const catalogs = [];
    for (const db of databases) {
      await this.catalogs.prepare(db);
      const c = this.catalogs.get(db).columns;
      if (!c) return; // a database that cannot be read: no verdict (its decisions fail closed)
      catalogs.push(c);
    }
    const unknown = this.masking.unknownColumns(catalogs);
    if (unknown.length) throw configError(`invalid config:\n${unknown.map((u) => `${u} in ${databases.join(', ')}`).join('\n')}`);
  }

  /** Read what the database adds to the trusted names (shadowing functions, own operators) before deciding for it. */
  prepareDatabase(database: string): Promise<void> {
    return this.catalogs.prepare(database);
  }

  /** The whole flow for request/response doors (MCP, REST, CLI): run auto, hold ask, refuse block. */
  query: RequestPort['query'] = (req, opts = {}) =>
    this.ops.timed(req.door, () => this.limits.query(req, opts, (caps) => this.answer(req, caps)));

  private async answer(req: GatewayRequest, opts: RunCaps): Promise<GatewayOutcome> {
    req.requestId ??= randomUUID();
    await this.catalogs.prepare(req.database);
    let decision: Decision;
    try {
      decision = this.decide(req);
    } catch (err) {
      return { status: 'error', error: asAirlockError(err) };
    }
    const outcome = await this.run(req, decision, opts);
    // rows (and previews) go back only once their audit events are durable
    try {
      this.requests.ensureDurable();
    } catch (err) {
      return { status: 'error', decision, error: asAirlockError(err) };
    }
    return outcome;
  }

  private async run(req: GatewayRequest, decision: Decision, opts: RunCaps): Promise<GatewayOutcome> {
    if (decision.decision === 'block') {
      return { status: 'blocked', decision, error: insufficientPrivilege(`blocked by ${decision.rule}: ${decision.reason}`) };
    }
    if (decision.decision === 'ask') return this.hold(req, decision);
    try {
      // several statements run one by one, each exactly as the parser split it
      const sql = decision.statements.length > 1 ? decision.statements.map((s) => s.sql) : req.sql;
      const result = await this.pools.runReadOnly(req.database, sql, req.params ?? [], { ...opts, searchPath: req.session?.searchPath });
      return { status: 'executed', decision, result: this.masking.result(result, this.masking.forAgent(req.agent.name, req.database)) };
    } catch (err) {
      const error = asAirlockError(err);
      this.requests.failure(req, 'execution.failed', decision, error);
      return { status: 'error', decision, error };
    }
  }

  // ---- the rest of the port: policy check, approvals, audit, agents ----

  check: RequestPort['check'] = (sql, ctx = {}) => {
    const target = ctx.database === undefined ? null : this.targets.of(ctx.database);
    return this.engine.decide(sql, target ? { target: target.name, label: target.label, ...ctx } : ctx);
  };

  get defaultDatabase(): string {
    return this.pools.defaultDatabase;
  }

  async approvalStatus(id: string, agentId: string, waitMs: number, signal?: AbortSignal) {
    let record = await this.approvals.get(id);
    // another agent's approval is reported exactly like a missing one
    if (record.agentId !== agentId) throw undefinedObject(`approval ${id} does not exist`);
    const decision = record.decision ?? HELD;
    if (waitMs > 0 && OPEN_STATUSES.includes(record.status)) {
      await this.approvals.awaitOutcome(id, waitMs, decision, signal);
      record = await this.approvals.get(id);
    }
    return {
      record,
      outcome: this.deliver(record.agentName, record.database, approvalOutcome(record, decision, this.approvals.reviewUrl(id))),
    };
  }

  // ---- admin verbs (admin-facet.ts) and reviewer front ends (console-facet.ts) ----

  listApprovals: AdminPort['listApprovals'] = (filter) => this.admin.listApprovals(filter);
  getApproval: AdminPort['getApproval'] = (id) => this.admin.getApproval(id);
  approve: AdminPort['approve'] = (id, reviewer, comment) => this.admin.approve(id, reviewer, comment);
  deny: AdminPort['deny'] = (id, reviewer, comment) => this.admin.deny(id, reviewer, comment);
  reviewUrl: AdminPort['reviewUrl'] = (id) => this.admin.reviewUrl(id);
  alwaysAllow: AdminPort['alwaysAllow'] = (id, reviewer, opts) => this.admin.alwaysAllow(id, reviewer, opts);
  listStanding: AdminPort['listStanding'] = (filter) => this.admin.listStanding(filter);
  revokeStanding: AdminPort['revokeStanding'] = (id, reviewer) => this.admin.revokeStanding(id, reviewer);
  revertApproval: AdminPort['revertApproval'] = (id, reviewer, comment) => this.admin.revertApproval(id, reviewer, comment);
  listAudit: AdminPort['listAudit'] = (filter) => this.admin.listAudit(filter);
  exportAudit: AdminPort['exportAudit'] = (out, filter) => this.admin.exportAudit(out, filter);
  verifyAudit: AdminPort['verifyAudit'] = (head) => this.admin.verifyAudit(head);
  record: AdminPort['record'] = (event) => this.admin.record(event);
  createAgent: AdminPort['createAgent'] = (name, by) => this.admin.createAgent(name, by);
  listAgents: AdminPort['listAgents'] = () => this.admin.listAgents();
  revokeAgent: AdminPort['revokeAgent'] = async (name, by) => {
    const agent = await this.admin.revokeAgent(name, by);
    this.revocations.revoked({ id: agent.id, name: agent.name });
    return agent;
  };

  onAgentRevoked: RequestPort['onAgentRevoked'] = (listener) => this.revocations.subscribe(listener);
  authenticateToken: AdminPort['authenticateToken'] = (token, door, remote) => this.admin.authenticateToken(token, door, remote);
  agentAuth: AdminPort['agentAuth'] = (name) => this.admin.agentAuth(name);
  authAttempt: AdminPort['authAttempt'] = (door, remote, name) => this.admin.authAttempt(door, remote, name);
  authFailed: AdminPort['authFailed'] = (door, remote, name) => this.admin.authFailed(door, remote, name);
  authSucceeded: AdminPort['authSucceeded'] = (door, remote, name) => this.admin.authSucceeded(door, remote, name);
  authenticateReviewerToken: AdminPort['authenticateReviewerToken'] = (token, remote) =>
    this.admin.authenticateReviewerToken(token, remote);

  // ---- the API proxy (api-calls.ts) and the vault (admin-facet.ts) ----

  callApi: ApiPort['callApi'] = (req) => this.ops.timed(req.door, () => this.limits.call(req, () => this.api.call(req)));
  apiMethods: ApiPort['apiMethods'] = (agent) => this.api.methods(agent);
  routeApi: ApiPort['routeApi'] = (integration, verb, path) => this.api.route(integration, verb, path);
  apiApproval: ApiPort['apiApproval'] = async (id, agentId) => {
    const rec = await this.approvals.get(id);
    if (rec.agentId !== agentId || !rec.call) throw undefinedObject(`approval ${id} does not exist`);
    return this.api.approvalView(rec);
  };
  setSecret: VaultPort['setSecret'] = async (name, value, by) => {
    const set = await this.admin.setSecret(name, value, by);
    await this.api.refreshSecrets();
    return set;
  };
  listSecrets: VaultPort['listSecrets'] = () => this.admin.listSecrets();
  deleteSecret: VaultPort['deleteSecret'] = (name, by) => this.admin.deleteSecret(name, by);

  private consoleFacet?: ConsoleFacet;
  private get console(): ConsoleFacet {
    return (this.consoleFacet ??= new ConsoleFacet(this.config, this.store));
  }

  /** The HTTP server listens (perhaps on port 0): review links name its real address unless http.publicUrl is set. */
  useHttpAddress(host: string, port: number): void {
    if (!this.config.http.publicUrl) this.approvals.review.setPublicUrl(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  }

  addReviewer: ReviewersPort['addReviewer'] = (name, password, opts) => this.accounts.addReviewer(name, password, opts);
  listReviewers: ReviewersPort['listReviewers'] = () => this.accounts.listReviewers();
  removeReviewer: ReviewersPort['removeReviewer'] = (name, by) => this.accounts.removeReviewer(name, by);
  signIn: ReviewersPort['signIn'] = (name, password, remote) => this.accounts.signIn(name, password, remote);
  reviewerSession: ReviewersPort['reviewerSession'] = (token) => this.accounts.reviewerSession(token);
  signOut: ReviewersPort['signOut'] = (token, reviewer) => this.accounts.signOut(token, reviewer);
  watchApprovals: ReviewPort['watchApprovals'] = (listener) => this.console.watchApprovals(listener);
  reviewFacts: ReviewPort['reviewFacts'] = (rec) => this.console.reviewFacts(rec);
  reviewView: ReviewPort['reviewView'] = (rec, reviewer) => this.masking.forReviewer(rec, reviewer);
  effectivePolicy: ReviewPort['effectivePolicy'] = (agent) => this.console.effectivePolicy(agent);
  listIntegrations: ReviewPort['listIntegrations'] = async () => ({
    integrations: this.api.integrations(),
    secrets: await this.store.listSecretNames(),
  });

  // ---- operations (ops-facet.ts): /readyz, /metrics, latency of the wire proxy's statements ----
  readiness: OpsPort['readiness'] = () => this.ops.readiness();
  metricsText: OpsPort['metricsText'] = () => this.ops.metricsText();
  observeLatency: OpsPort['observeLatency'] = (door, startedAt) => this.ops.observeLatency(door, startedAt);

  async close(): Promise<void> {
    this.catalogs.close();
    this.revocations.stop();
    this.consoleFacet?.close();
    for (const close of this.closers) {
      await close().catch((err) => logger.warn({ err: (err as Error).message }, 'error while closing gateway'));
    }
  }
}
