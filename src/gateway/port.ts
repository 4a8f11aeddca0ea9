// The one narrow port every door (wire, MCP, reviewer API and console, CLI, API proxy) uses: verbs,
// never the gateway's parts. `Gateway` implements all of it; the CLI's light admin gateway
// (no parser, no upstream) implements the admin facets only.
import type { ColumnMasker } from '../domain/masking.js';
import type { Writable } from 'node:stream';
import type { AirlockConfig } from '../config/schema.js';
import type { Agent, Door, GatewayOutcome, GatewayRequest } from '../domain/request.js';
import type { Decision } from '../domain/decision.js';
import type { AgentRecord } from '../domain/agent.js';
import type { ApprovalFilter, ApprovalRecord } from '../domain/approval.js';
import type { AuditEvent, AuditFilter } from '../domain/audit.js';
import type { ReviewerRecord, ReviewerSession } from '../domain/reviewer.js';
import type { ApprovalListener } from '../domain/approval.js';
import type { SslMode } from '../upstream/url.js';
import type { ReviewFacts } from '../domain/review.js';
import type { EffectivePolicy, IntegrationsView } from './console-facet.js';
import type { VerifyResult } from '../audit/verify.js';
import type { AuditEventType } from '../domain/audit.js';
import type { ApiCallOutcome, ApiCallRequest } from '../domain/api-call.js';
import type { ReadinessReport } from './readiness.js';
import type { AgentLimits } from '../domain/limits.js';
import type { AirlockError } from '../errors.js';
import type { StandingApproval, StandingFilter, StandingOptions } from '../domain/standing.js';

/** Connection settings of the upstream a door forwards to (the wire fast path). */
export interface UpstreamSettings {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  statementTimeoutMs: number;
  /** opening an upstream connection may take this long (the URL's connect_timeout, default 10 s) */
  connectTimeoutMs?: number;
  /** every connection runs on one backend (PGlite): pinned sessions are closed, never DISCARDed */
  sharedBackend?: boolean;
  /** the upstream URL's sslmode: TLS for the wire proxy's own server connections (server-socket.ts) */
  sslmode?: SslMode | null;
  /** the upstream URL's `options` (-c name=value …): every session starts with them, as the pg pools' do */
  options?: string;
}

/** Something a door saw that belongs in the audit trail (a tool call, a connection, a sign-in). */
export interface DoorEvent {
  type: AuditEventType;
  door: Door;
  agent?: string | null;
  database?: string | null;
  requestId?: string | null;
  approvalId?: string | null;
  /** free-form detail; secret-named keys are dropped */
  data?: Record<string, unknown>;
}

/** Per-agent limits (config `limits:`), for doors that apply them on their own path (the wire proxy). */
export interface LimitsPort {
  /** the agent's caps and rates: its own entry over the default (cached) */
  of(agent: string): AgentLimits;
  /** count one request of the agent through a door: null, or the 53400 refusal (audited) saying when to retry */
  admit(agent: Agent, door: Door, scope?: { database?: string | null; requestId?: string | null }): Promise<AirlockError | null>;
  /** rows the agent received (its rows budget) */
  chargeRows(agent: string, rows: number): void;
  /** the smallest statement-time cap of any agent (how often the wire proxy looks for overruns) */
  readonly shortestTimeoutMs: number;
}

/** Deciding and running requests. */
export interface RequestPort {
  /** classify one SQL text and audit the decision (synchronous, cached); throws 58030 while the audit cannot keep up */
  decide(req: GatewayRequest): Decision;
  /** audit a decision made earlier (a prepared statement run again); throws 58030 like decide */
  auditDecision(req: GatewayRequest, decision: Decision): void;
  /**
   * before any result goes back to an agent: its audit events are durable, or this throws 58030.
   * With `upTo` (an auditMark() taken after the caller's own events), only those must be: events
   * of other sessions since then are committed by their own results or at the end of the tick.
   */
  ensureAudited(upTo?: number): void;
  /** how many audit events were appended so far */
  auditMark(): number;
  /** the whole flow for request/response doors: run auto, hold ask, refuse block (audited) */
  query(req: GatewayRequest, opts?: { maxRows?: number }): Promise<GatewayOutcome>;
  /** ask tier: reuse a one-time grant, or create an approval with its preview */
  hold(req: GatewayRequest, decision: Decision): Promise<GatewayOutcome>;
  /** wait until an approval is executed / denied / expired, or timeoutMs passes */
  awaitOutcome(approvalId: string, timeoutMs: number, signal?: AbortSignal): Promise<GatewayOutcome>;
  /** the agent's column masking on a database (the wire proxy masks DataRows with it); null when no rule applies */
  masker(agent: string, database: string): ColumnMasker | null;
  /** read the database's catalog (functions and operators that shadow pg_catalog's) before deciding for it */
  prepareDatabase(database: string): Promise<void>;
  /** the policy's verdict without running or auditing anything (`airlock check`, explain's pre-check) */
  check(sql: string, ctx?: { agent?: string; database?: string; target?: string; label?: string }): Decision;
  /** upstream connection settings for the wire fast path */
  upstream(database: string): UpstreamSettings;
  /**
   * An agent's own approval (another agent's is reported exactly like a missing one), waiting up to
   * waitMs while it is still open; with its outcome as a request would see it.
   */
  approvalStatus(
    id: string,
    agentId: string,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<{ record: ApprovalRecord; outcome: GatewayOutcome }>;
  /** the database a request goes to when it names none */
  readonly defaultDatabase: string;
  /** an agent was revoked (here or in another process, seen within a second): end its live sessions */
  onAgentRevoked(listener: (agent: Agent) => void): () => void;
  /** the running configuration (read-only): doors take their own section (wire, mcp, http) */
  readonly config: AirlockConfig;
  /** per-agent caps and rates; query() and callApi() apply them, the wire proxy applies them itself */
  readonly limits: LimitsPort;
}

/** Approvals, for reviewers and for the agent that asked. */
export interface ApprovalsPort {
  listApprovals(filter?: ApprovalFilter): Promise<ApprovalRecord[]>;
  getApproval(id: string): Promise<ApprovalRecord>;
  approve(id: string, reviewer: string, comment?: string): Promise<ApprovalRecord>;
  deny(id: string, reviewer: string, comment?: string): Promise<ApprovalRecord>;
  /** the console page of an approval (the link every door prints) */
  reviewUrl(id: string): string;
}

/** Standing approvals ("always allow") and reverts of executed writes, for reviewers. */
export interface StandingPort {
  /** a standing approval made from an approval (a pending one is approved too); audited as standing.created */
  alwaysAllow(approvalId: string, reviewer: string, opts?: StandingOptions): Promise<StandingApproval>;
  /** newest first; active ones only unless `all` */
  listStanding(filter?: StandingFilter): Promise<StandingApproval[]>;
  /** it approves nothing from now on; audited as standing.revoked */
  revokeStanding(id: string, reviewer: string): Promise<StandingApproval>;
  /** a new approval, with the reviewer's vote, restoring what an executed UPDATE or INSERT changed; audited as revert.requested */
  revertApproval(approvalId: string, reviewer: string, comment?: string): Promise<ApprovalRecord>;
}

/** The audit trail: read, export, verify, and record what a door saw. */
export interface AuditPort {
  listAudit(filter?: AuditFilter): Promise<AuditEvent[]>;
  /** JSON lines, oldest first, with hashes; returns the number of events written */
  exportAudit(out: Writable, filter?: Omit<AuditFilter, 'order' | 'afterSeq'>): Promise<number>;
  verifyAudit(head?: { seq: number; hash: string }): Promise<VerifyResult>;
  record(event: DoorEvent): void;
}

/** Agent identities. */
export interface AgentsPort {
  /** Before a secret is checked: throws 53400 (audited, with when to retry) while the name or the address has failed too often. */
  authAttempt(door: Door, remote: string, name?: string): Promise<void>;
  /** the secret was wrong: counts against the name and the address */
  authFailed(door: Door, remote: string, name?: string): Promise<void>;
  /** the secret checked out: the name's failures are forgotten */
  authSucceeded(door: Door, remote: string, name?: string): Promise<void>;
  /** the token is returned once; only hashes are kept */
  createAgent(name: string, by?: string): Promise<{ agent: AgentRecord; token: string }>;
  listAgents(): Promise<AgentRecord[]>;
  revokeAgent(name: string, by?: string): Promise<AgentRecord>;
  /** a reviewer's bearer token (config `reviewers:`) → the reviewer's name; throttled and audited like every login */
  authenticateReviewerToken(token: string | null, remote: string): Promise<string>;
  /** bearer token → agent (throttled; audited when it fails) */
  authenticateToken(token: string, door: Door, remote?: string): Promise<Agent | null>;
  /** SCRAM verifier of an agent for the wire handshake; null when unknown or revoked */
  agentAuth(agentName: string): Promise<{ agent: Agent; scramVerifier: string } | null>;
}

/** Console accounts (reviewers and admins) and their sign-in sessions. */
export interface ReviewersPort {
  /** the password is hashed with scrypt; audited as reviewer.created */
  addReviewer(name: string, password: string, opts?: { admin?: boolean; by?: string }): Promise<ReviewerRecord>;
  listReviewers(): Promise<ReviewerRecord[]>;
  /** ends the reviewer's sessions too; 42704 when unknown */
  removeReviewer(name: string, by?: string): Promise<ReviewerRecord>;
  /** a new session (cookie value returned once) or null; audited either way (throttling is the door's) */
  signIn(name: string, password: string, remote?: string): Promise<{ token: string; session: ReviewerSession } | null>;
  /** the live session for a cookie value; null when unknown, expired or its account was removed */
  reviewerSession(token: string): Promise<ReviewerSession | null>;
  signOut(token: string, reviewer?: string): Promise<void>;
}

/** What live reviewer views need beyond the records. */
export interface ReviewPort {
  /** called for every approval that changes, in any process sharing the store; returns unsubscribe */
  watchApprovals(listener: ApprovalListener): () => void;
  /** risk hints, changed cells, target, API request, and how many clients wait on it here */
  reviewFacts(rec: ApprovalRecord): ReviewFacts;
  /** an approval as this reviewer may see it (null: a notice): masked columns masked unless the reviewer may unmask */
  reviewView(rec: ApprovalRecord, reviewer: string | null): ApprovalRecord;
  /** the built-in tiers and the configured rules that apply to an agent (all rules without one) */
  effectivePolicy(agent?: string): EffectivePolicy;
  /** API integrations and vault secret names, never values */
  listIntegrations(): Promise<IntegrationsView>;
}

/** Vault secrets: values go in, only names and dates come out. */
export interface VaultPort {
  /** encrypted under the master key (created on first use); audited as vault.set, never the value */
  setSecret(name: string, value: string, by?: string): Promise<{ keySource: string; keyCreated: boolean }>;
  listSecrets(): Promise<{ name: string; createdAt: number; updatedAt: number }[]>;
  deleteSecret(name: string, by?: string): Promise<boolean>;
}

/** One method of an integration as a door shows it (MCP tool, `integrations list`). */
export interface ApiMethodInfo {
  integration: string;
  method: string;
  description?: string;
  verb: string;
  path: string;
  tier: 'auto' | 'ask' | 'block';
  /** JSON Schema of the arguments */
  params: Record<string, unknown>;
}

/** The multi-API proxy. */
export interface ApiPort {
  /** decide, then send (auto), hold (ask) or refuse (block); everything audited */
  callApi(req: ApiCallRequest): Promise<ApiCallOutcome>;
  /** the agent's own approval of an API call (another agent's is reported as missing) */
  apiApproval(id: string, agentId: string): Promise<Record<string, unknown>>;
  /** the methods an agent may see */
  apiMethods(agent: Agent): ApiMethodInfo[];
  /** a vendor-style route (verb, path) → the method and its path parameters; 404 when unmapped */
  routeApi(integration: string, verb: string, path: string): { method: string; pathArgs: Record<string, string> };
}

/** Operations: probes and metrics for the HTTP door, latency of what a door answers itself. */
export interface OpsPort {
  /** the store, the upstream and the approval queue answer (each check bounded, the report cached ~1 s) */
  readiness(): Promise<ReadinessReport>;
  /** this process's metrics in the Prometheus text format */
  metricsText(): Promise<{ contentType: string; body: string }>;
  /** a request a door answered without query() (the wire proxy's statements), from performance.now() at its start */
  observeLatency(door: Door, startedAt: number): void;
}

/** What the CLI's admin commands need: no parser, no upstream. */
export type AdminPort = ApprovalsPort & AuditPort & AgentsPort & VaultPort & StandingPort;

/** Everything a door may call. */
export type GatewayPort = RequestPort & AdminPort & ReviewersPort & ReviewPort & ApiPort & OpsPort;
