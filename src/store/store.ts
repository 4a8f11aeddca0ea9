// The store contract: agents, approvals, vault ciphertexts and the audit chain, with one
// SQLite and one PostgreSQL adapter behind it. Times are ms since the epoch everywhere.
import type { AgentAuth, AgentRecord } from '../domain/agent.js';
import type { ApprovalChange, ApprovalFilter, ApprovalRecord, ApprovalStatus, ApprovalUpdate, NewApproval } from '../domain/approval.js';
import type { AuditBody, AuditCheckpoint, AuditEvent, AuditFilter } from '../domain/audit.js';
import type { ReviewerRecord, ReviewerSession } from '../domain/reviewer.js';
import type { PreparedAudit } from './chain-hash.js';
import type { NewStandingApproval, StandingApproval, StandingFilter, StandingQuery, UndoRecord } from '../domain/standing.js';

export interface SecretRecord {
  name: string;
  ciphertext: string;
  iv: string;
  tag: string;
  createdAt: number;
  updatedAt: number;
}

export type NewSecret = Pick<SecretRecord, 'name' | 'ciphertext' | 'iv' | 'tag'>;

export interface AppendResult {
  /** 0 when nothing was appended */
  firstSeq: number;
  lastSeq: number;
  /** hash of the last event: the chain's head */
  lastHash: string;
}

/** Signs a head of the chain (the audit key stays with the writer; the store only keeps the result). */
export type CheckpointSigner = (head: Omit<AuditCheckpoint, 'mac'>) => AuditCheckpoint;

/** Journal text stored as one block, and how many events decoding it gives. */
export interface AuditBlockText {
  count: number;
  lines: string;
}

export interface AppendBatchOptions {
  /** the local journal these events come from and its offset after them: applied exactly once */
  journal?: { name: string; end: number };
  /** sign the new head and store it as a checkpoint in the same transaction */
  checkpoint?: CheckpointSigner;
  /**
   * The journal texts the events were decoded from (decodeAuditLines gives exactly them), in order:
   * each stored as is, as one block of its `count` events. Without them, one block of all events.
   */
  blocks?: readonly AuditBlockText[];
}

export interface AppendBatchResult extends AppendResult {
  /** the journal range was applied before (by a restarted writer or a recovering process) */
  skipped?: boolean;
  checkpoint?: AuditCheckpoint;
}

export interface SessionTimes {
  idleMs: number;
  maxMs: number;
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
  /** Agents revoked at or after `since` (ms since the epoch). */
  listRevokedSince(since: number): Promise<AgentRecord[]>;

  insertApproval(rec: NewApproval): Promise<ApprovalRecord>;
  getApproval(id: string): Promise<ApprovalRecord | null>;
  listApprovals(filter?: ApprovalFilter): Promise<ApprovalRecord[]>;
  /** Compare-and-set; null when the status/version no longer match (someone else won). */
  updateApproval(id: string, update: ApprovalUpdate): Promise<ApprovalRecord | null>;
  listApprovalsByStatus(statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord[]>;
  /** how many approvals have these statuses (a gauge on every metrics scrape, and the readiness probe) */
  countApprovals(statuses: readonly ApprovalStatus[]): Promise<number>;
  /** The newest approval with this request key in one of the statuses. */
  findApprovalByRequestKey(requestKey: string, statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord | null>;
  /** The newest approval with this binding in one of the statuses. */
  findApprovalByBinding(binding: string, statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord | null>;

  /** A standing approval ("always allow"); 409 when the id exists. */
  insertStanding(rec: NewStandingApproval): Promise<StandingApproval>;
  getStanding(id: string): Promise<StandingApproval | null>;
  /** newest first; active ones only unless `all` */
  listStanding(filter?: StandingFilter): Promise<StandingApproval[]>;
  /** The active standing approvals of this agent for this request shape, oldest first. */
  findStanding(query: StandingQuery): Promise<StandingApproval[]>;
  /** Count one use atomically, only while it is active (several gateways never exceed max uses); null otherwise. */
  useStanding(id: string, now: number): Promise<StandingApproval | null>;
  /** Revoke once; null when unknown or already revoked. */
  revokeStanding(id: string, by: string, now: number): Promise<StandingApproval | null>;
  /** What an executed write keeps to be reverted (the first record for an approval stands). */
  putApprovalUndo(approvalId: string, undo: UndoRecord): Promise<void>;
  getApprovalUndo(approvalId: string): Promise<UndoRecord | null>;

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
  /** names and dates, never values */
  listSecrets(): Promise<Pick<SecretRecord, 'name' | 'createdAt' | 'updatedAt'>[]>;
  /** the vault's key check (a value sealed under the master key); null before the first secret */
  getVaultKeyCheck(): Promise<string | null>;
  /** record the key check once: the first writer wins; returns the one that stands */
  setVaultKeyCheck(check: string): Promise<string>;
  deleteSecret(name: string): Promise<boolean>;

  /** Extend the hash chain by these events in one transaction (event i gets seq firstSeq + i). */
  appendAuditEvents(events: readonly AuditBody[]): Promise<AppendResult>;
  /** The same for events already prepared, with the journal offset and a checkpoint in that transaction. */
  appendAuditBatch(events: readonly PreparedAudit[], opts?: AppendBatchOptions): Promise<AppendBatchResult>;
  /** Sign the head as it stands (no event appended); null when the chain is empty or its head is signed already. */
  checkpointAuditHead(sign: CheckpointSigner): Promise<AuditCheckpoint | null>;
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
