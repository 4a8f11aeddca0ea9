// Audit events: what callers append, the hashed body, the stored event, checkpoints and filters.
import type { Tier } from './decision.js';

export const AUDIT_EVENT_TYPES = [
  'request',
  'decision',
  'approval.created',
  'approval.voted',
  'approval.approved',
  'approval.denied',
  'approval.expired',
  'approval.grant-used',
  'standing.created',
  'standing.used',
  'standing.revoked',
  'revert.requested',
  'execution.started',
  'execution.executed',
  'execution.failed',
  'execution.drifted',
  'auth.ok',
  'auth.failed',
  'agent.created',
  'agent.revoked',
  'vault.set',
  'vault.deleted',
  'tool.call',
  'reviewer.created',
  'reviewer.removed',
  'reviewer.signed-out',
  'limit.refused',
  'error',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditInput {
  type: AuditEventType;
  /** ms epoch; the time of append() when omitted */
  ts?: number;
  /** agent name */
  agent?: string | null;
  door?: string | null;
  database?: string | null;
  decision?: Tier | null;
  rule?: string | null;
  requestId?: string | null;
  approvalId?: string | null;
  /** free-form detail (sql, tables, reason, row counts...); secrets are dropped by redact() */
  data?: Record<string, unknown>;
}

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

/** A signed head of the chain, kept outside the chain's tables so that a truncated tail is detectable. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** hash of seq 1: the chain this checkpoint belongs to (a recreated store starts another) */
  root: string;
  ts: number;
  /** HMAC-SHA256 hex under a key the store does not hold (see src/audit/checkpoints.ts) */
  mac: string;
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

/** Where a part of Airlock records what happened: the audit log, seen only through this. */
export interface Auditor {
  append(event: AuditInput): void;
}

/** One event as exported: the stored row, field order fixed. */
export const exportLine = (e: AuditEvent): string =>
  JSON.stringify({
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    agent: e.agent,
    door: e.door,
    database: e.database,
    decision: e.decision,
    rule: e.rule,
    request_id: e.request_id,
    approval_id: e.approval_id,
    data: e.data,
    prev_hash: e.prev_hash,
    hash: e.hash,
  }) + '\n';

/** What `audit verify` found. */
export interface VerifyResult {
  ok: boolean;
  /** events checked and found intact (those before the break) */
  count: number;
  /** seq of the first event that is missing, out of place or altered */
  firstBrokenSeq?: number;
  reason?: string;
  /** seq and hash of the last intact event: record it elsewhere to detect truncation later */
  lastSeq?: number;
  headHash?: string;
  /** checkpoints held against the chain, and whether their signatures were checked */
  checkpoints?: { checked: number; signatures: 'verified' | 'unchecked (no audit key here)'; lastSeq?: number };
  /** things worth knowing that do not break the chain */
  warnings?: string[];
}
