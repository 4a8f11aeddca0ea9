// What callers hand to the audit log, and how it becomes the stored (hashed) body.
import type { Tier } from '../policy/types.js';
import type { AuditBody } from '../store/store.js';
import { redact } from './redact.js';

export const AUDIT_EVENT_TYPES = [
  'request',
  'decision',
  'approval.created',
  'approval.voted',
  'approval.approved',
  'approval.denied',
  'approval.expired',
  'approval.grant-used',
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

/**
 * Snapshot an input into the body to store: redacted and JSON-safe (the store caps its size).
 * `cleanData` is data the caller already proved needs no redaction (plain values, no secret keys).
 */
export function toAuditBody(input: AuditInput, now = Date.now(), cleanData?: Record<string, unknown>): AuditBody {
  let data = cleanData ?? (redact(input.data ?? {}) as Record<string, unknown>);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) data = { value: data };
  return {
    ts: input.ts ?? now,
    type: input.type,
    agent: input.agent ?? null,
    door: input.door ?? null,
    database: input.database ?? null,
    decision: input.decision ?? null,
    rule: input.rule ?? null,
    request_id: input.requestId ?? null,
    approval_id: input.approvalId ?? null,
    data,
  };
}
