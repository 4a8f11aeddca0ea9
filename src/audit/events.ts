// What callers hand to the audit log, and how it becomes the stored (hashed) body.
import type { AuditBody, AuditInput } from '../domain/audit.js';
import { redact } from './redact.js';

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
