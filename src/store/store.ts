// The store contract: agents, approvals, vault ciphertexts and the audit chain, with one
// SQLite and one PostgreSQL adapter behind it. Times are ms since the epoch everywhere.
import type { ApprovalStatus, PreviewSummary } from '../gateway-types.js';
import type { Decision } from '../policy/types.js';
import type { PreparedAudit } from './chain-hash.js';

export interface AgentRecord {
  id: string;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface AgentAuth {
  agent: AgentRecord;
  /** sha256 hex of the token */
  tokenHash: string;
  /** `SCRAM-SHA-256$4096:salt$StoredKey:ServerKey`; null for agents created before it existed */
  scramVerifier: string | null;
}

export interface ApprovalVote {
  reviewer: string;
  at: number;
  comment?: string;
}

export interface ApprovalRecord {
  id: string;
  status: ApprovalStatus;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  agentId: string;
  agentName: string;
  door: string;
  database: string;
  sql: string;
  params: unknown[] | null;
  /** hex digest of (sql, params, agent, database, role, search_path, preview digest) */
  binding: string;
  decision: Decision | null;
  preview: PreviewSummary | null;
  requiredApprovals: number;
  approvals: ApprovalVote[];
  deniedBy: string | null;
  comment: string | null;
  result: unknown;
  error: string | null;
  attempts: number;
  /** bumped by every update; use it as `expectVersion` for read-modify-write */
  version: number;
  /** hash of the request alone (no preview): finds "the identical statement" for one-time grants */
  requestKey: string | null;
  /** when a retry consumed the executed result (one-time grant); null while unused */
  grantUsedAt: number | null;
}

/** What a caller supplies to create an approval; the rest gets defaults. */
export type NewApproval = Pick<
  ApprovalRecord,
  'id' | 'status' | 'expiresAt' | 'agentId' | 'agentName' | 'door' | 'database' | 'sql' | 'binding'
> &
  Partial<Omit<ApprovalRecord, 'version'>>;

export type ApprovalPatch = Partial<Omit<ApprovalRecord, 'id' | 'createdAt' | 'version'>>;

export interface ApprovalUpdate {
  /** update only when the current status is one of these */
  fromStatus: readonly ApprovalStatus[];
  /** and, when given, only when the version still matches */
  expectVersion?: number;
  patch: ApprovalPatch;
}

export interface ApprovalFilter {
  status?: ApprovalStatus | readonly ApprovalStatus[];
  /** agent name */
  agent?: string;
  /** default 100 */
  limit?: number;
}

export interface SecretRecord {
  name: string;
  ciphertext: string;
  iv: string;
  tag: string;
  createdAt: number;
  updatedAt: number;
}

export type NewSecret = Pick<SecretRecord, 'name' | 'ciphertext' | 'iv' | 'tag'>;

/** The hashed part of an audit event, in the names used by the chain and by JSONL export. */
export interface AuditBody {
  ts: number;
  type: string;
  agent: string | null;
  door: string | null;
  database: string | null;
  decision: string | null;
  rule: string | null;
  request_id: string | null;
  approval_id: string | null;
  data: Record<string, unknown>;
}

export interface AuditEvent extends AuditBody {
  seq: number;
  prev_hash: string;
  hash: string;
}

export interface AppendResult {
  /** 0 when nothing was appended */
  firstSeq: number;
  lastSeq: number;
  /** hash of the last event: the chain's head */
  lastHash: string;
}

/** A signed head of the chain, kept outside audit_events so that a truncated tail is detectable. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** hash of seq 1: the chain this checkpoint belongs to (a recreated store starts another) */
  root: string;
  ts: number;
  /** HMAC-SHA256 hex under a key the store does not hold (see src/audit/checkpoints.ts) */
  mac: string;
}

export interface AppendBatchOptions {
  /** the local journal these events come from and its offset after them: applied exactly once */
  journal?: { name: string; end: number };
  /** sign the new head and store it as a checkpoint in the same transaction */
  checkpoint?: (head: { seq: number; hash: string; root: string; ts: number }) => AuditCheckpoint;
}

export interface AppendBatchResult extends AppendResult {
  /** the journal range was applied before (by a restarted writer or a recovering process) */
  skipped?: boolean;
  checkpoint?: AuditCheckpoint;
}

export interface AuditFilter {
  agent?: string;
  door?: string;
  /** the database, or the integration of an API call */
  database?: string;
  /** case-insensitive text anywhere in the event's type, agent, rule or data (SQL, reviewer, reason) */
  search?: string;
  decision?: string;
  /** matches a table named in data.tables / data.decision.statements (qualified or not) */
  table?: string;
  type?: string;
  approvalId?: string;
  /** ms epoch, inclusive */
  since?: number;
  /** ms epoch, inclusive */
  until?: number;
  /** only events with seq greater than this (keyset paging) */
  afterSeq?: number;
  /** only events with seq less than this (paging newest first) */
  beforeSeq?: number;
  /** default 100 */
  limit?: number;
  /** default 'desc' (newest first) */
  order?: 'asc' | 'desc';
}

/** A console account (reviewer, or admin who also manages agents); the password hash stays in the store. */
export interface ReviewerRecord {
  name: string;
  admin: boolean;
  createdAt: number;
}

/** A signed-in console session, looked up by the sha256 of its cookie value. */
export interface ReviewerSession {
  reviewer: string;
  admin: boolean;
  /** the token every state-changing console request must echo in X-CSRF-Token */
  csrf: string;
  createdAt: number;
  /** idle deadline (moved forward while the session is used, never past the absolute one) */
  expiresAt: number;
}

export interface SessionTimes {
  idleMs: number;
  maxMs: number;
}

/** An approval row that changed: enough for a live view to know what to fetch again. */
export interface ApprovalChange {
  id: string;
  status: ApprovalStatus;
  version: number;
  updatedAt: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  /** Create an agent; the token is returned once and only its hashes are stored. */
  createAgent(name: string): Promise<{ agent: AgentRecord; token: string }>;
  /** The agent when the token matches and it is not revoked; null otherwise. */
  authenticateAgent(name: string, token: string): Promise<AgentRecord | null>;
  findAgentByName(name: string): Promise<AgentRecord | null>;
  listAgents(): Promise<AgentRecord[]>;
  /** Marks the agent revoked (idempotent); null when there is no such agent. */
  revokeAgent(name: string): Promise<AgentRecord | null>;
  /** The agent holding this bearer token (looked up by its hash); null when unknown or revoked. */
  authenticateToken(token: string): Promise<AgentRecord | null>;
  /** null for unknown or revoked agents */
  getAgentTokenHash(name: string): Promise<string | null>;
  /** null for unknown or revoked agents */
  getAgentAuth(name: string): Promise<AgentAuth | null>;

  insertApproval(rec: NewApproval): Promise<ApprovalRecord>;
  getApproval(id: string): Promise<ApprovalRecord | null>;
  listApprovals(filter?: ApprovalFilter): Promise<ApprovalRecord[]>;
  /** Compare-and-set; null when the status/version no longer match (someone else won). */
  updateApproval(id: string, update: ApprovalUpdate): Promise<ApprovalRecord | null>;
  listApprovalsByStatus(statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord[]>;
  /** The newest approval with this request key in one of the statuses. */
  findApprovalByRequestKey(requestKey: string, statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord | null>;
  /** The newest approval with this binding in one of the statuses. */
  findApprovalByBinding(binding: string, statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord | null>;

  /** Approvals changed at or after `since` (ms), oldest change first (the console's live view). */
  listApprovalChanges(since: number, limit?: number): Promise<ApprovalChange[]>;

  /** Create a console account; the password is hashed with scrypt, never stored. 409 when the name exists. */
  createReviewer(name: string, password: string, admin: boolean): Promise<ReviewerRecord>;
  /** The account when the password matches; null otherwise (unknown names cost the same time). */
  checkReviewerPassword(name: string, password: string): Promise<ReviewerRecord | null>;
  listReviewers(): Promise<ReviewerRecord[]>;
  /** Remove an account and end its sessions; null when there is no such reviewer. */
  removeReviewer(name: string): Promise<ReviewerRecord | null>;
  /** A new session for the account; the cookie value is returned once, only its hash is kept. */
  createReviewerSession(reviewer: ReviewerRecord, times: SessionTimes): Promise<{ token: string; session: ReviewerSession }>;
  /** The live session for a cookie value (idle deadline moved on); null when unknown, expired or its account is gone. */
  getReviewerSession(token: string, idleMs: number): Promise<ReviewerSession | null>;
  /** End a session (and forget expired ones). */
  deleteReviewerSession(token: string): Promise<void>;

  /** Insert or replace a secret's ciphertext (created_at is kept on replace). */
  putSecret(secret: NewSecret): Promise<void>;
  getSecret(name: string): Promise<SecretRecord | null>;
  listSecretNames(): Promise<string[]>;
  deleteSecret(name: string): Promise<boolean>;

  /** Extend the hash chain by these events in one transaction (event i gets seq firstSeq + i). */
  appendAuditEvents(events: readonly AuditBody[]): Promise<AppendResult>;
  /** The same for events already prepared, with the journal offset and a checkpoint in that transaction. */
  appendAuditBatch(events: readonly PreparedAudit[], opts?: AppendBatchOptions): Promise<AppendBatchResult>;
  /** How far a journal was applied (0 when never). */
  journalApplied(name: string): Promise<number>;
  /** Forget a journal that was applied completely and deleted. */
  forgetJournal(name: string): Promise<void>;
  /** Every checkpoint, by seq. */
  listAuditCheckpoints(): Promise<AuditCheckpoint[]>;
  listAudit(filter?: AuditFilter): Promise<AuditEvent[]>;
  /** All events in seq order, fetched page by page. */
  iterateAudit(fromSeq?: number): AsyncIterable<AuditEvent>;
  /** Apply pending migrations (also done at open); returns the versions applied now. */
  migrate(): Promise<number[]>;
  close(): Promise<void>;
}
