// Mapping between ApprovalRecord fields and approvals table columns (JSON columns as text),
// shared by both dialects.
import { APPROVAL_STATUSES, type ApprovalStatus } from '../domain/approval.js';
import { invalidParameterValue } from '../errors.js';
import type { ApprovalPatch, ApprovalRecord, NewApproval } from '../domain/approval.js';
import type { Row } from './sql-driver.js';

/** record field → column */
export const APPROVAL_COLUMNS = {
  id: 'id',
  status: 'status',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  expiresAt: 'expires_at',
  agentId: 'agent_id',
  agentName: 'agent_name',
  door: 'door',
  database: 'database',
  sql: 'sql',
  params: 'params',
  binding: 'binding',
  decision: 'decision',
  preview: 'preview',
  requiredApprovals: 'required_approvals',
  approvals: 'approvals',
  deniedBy: 'denied_by',
  comment: 'comment',
  result: 'result',
  error: 'error',
  attempts: 'attempts',
  version: 'version',
  requestKey: 'request_key',
  grantUsedAt: 'grant_used_at',
  call: 'call',
  standingId: 'standing_id',
  revertOf: 'revert_of',
  leaseUntil: 'lease_until',
} as const satisfies Record<keyof ApprovalRecord, string>;

type Field = keyof typeof APPROVAL_COLUMNS;
const FIELDS = Object.keys(APPROVAL_COLUMNS) as Field[];
const JSON_FIELDS = new Set<Field>(['params', 'decision', 'preview', 'approvals', 'result', 'call']);
const INT_FIELDS = new Set<Field>(['createdAt', 'updatedAt', 'expiresAt', 'requiredApprovals', 'attempts', 'version']);
/** integer columns where NULL means "not yet" */
const NULLABLE_INT_FIELDS = new Set<Field>(['grantUsedAt', 'leaseUntil']);
const TEXT_FIELDS = new Set<Field>(['id', 'status', 'agentId', 'agentName', 'door', 'database', 'sql', 'binding']);

export function assertStatus(s: unknown): asserts s is ApprovalStatus {
  if (!APPROVAL_STATUSES.includes(s as ApprovalStatus)) {
    throw invalidParameterValue(`invalid approval status ${JSON.stringify(s)}; expected one of ${APPROVAL_STATUSES.join(', ')}`);
  }
}

/** One field's value as bound into SQL. */
export function toColumnValue(field: Field, value: unknown): unknown {
  if (field === 'status') assertStatus(value);
  if (JSON_FIELDS.has(field)) {
    if (field === 'approvals') return JSON.stringify(value ?? []);
    return value === undefined || value === null ? null : JSON.stringify(value);
  }
  if (NULLABLE_INT_FIELDS.has(field) && (value === null || value === undefined)) return null;
  if (INT_FIELDS.has(field) || NULLABLE_INT_FIELDS.has(field)) {
    const n = Number(value);
    if (!Number.isFinite(n)) throw invalidParameterValue(`approval ${field} must be a number`);
    return Math.trunc(n);
  }
  if (TEXT_FIELDS.has(field) && typeof value !== 'string') throw invalidParameterValue(`approval ${field} must be text`);
  return value === undefined || value === null ? null : String(value);
}

const parseJson = (text: unknown): unknown => {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(String(text));
  } catch {
    return null;
  }
};

export function rowToApproval(row: Row): ApprovalRecord {
  const rec: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const v = row[APPROVAL_COLUMNS[f]];
    if (JSON_FIELDS.has(f)) rec[f] = parseJson(v);
    else if (INT_FIELDS.has(f)) rec[f] = Number(v);
    else if (NULLABLE_INT_FIELDS.has(f)) rec[f] = v === null || v === undefined ? null : Number(v);
    else rec[f] = v ?? null;
  }
  if (!Array.isArray(rec.approvals)) rec.approvals = [];
  return rec as unknown as ApprovalRecord;
}

/** A full record from what the caller gave plus defaults. */
export function newApprovalRecord(input: NewApproval, now = Date.now()): ApprovalRecord {
  const createdAt = input.createdAt ?? now;
  return {
    params: null,
    decision: null,
    preview: null,
    requiredApprovals: 1,
    approvals: [],
    deniedBy: null,
    comment: null,
    result: null,
    error: null,
    attempts: 0,
    requestKey: null,
    grantUsedAt: null,
    call: null,
    standingId: null,
    revertOf: null,
    leaseUntil: null,
    ...input,
    createdAt,
    updatedAt: input.updatedAt ?? createdAt,
    version: 1,
  };
}

/** `col = ?` pairs for a patch; unknown or immutable fields are a caller bug, refused loudly. */
export function patchAssignments(patch: ApprovalPatch): { sets: string[]; values: unknown[] } {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!(key in APPROVAL_COLUMNS) || key === 'id' || key === 'createdAt' || key === 'version' || key === 'updatedAt') {
      if (key === 'updatedAt') continue; // set by the caller of this function
      throw invalidParameterValue(`approval field "${key}" cannot be updated`);
    }
    sets.push(`${APPROVAL_COLUMNS[key as Field]} = ?`);
    values.push(toColumnValue(key as Field, value));
  }
  return { sets, values };
}

export const APPROVAL_INSERT_COLUMNS = FIELDS.map((f) => APPROVAL_COLUMNS[f]);

export function approvalInsertValues(rec: ApprovalRecord): unknown[] {
  return FIELDS.map((f) => toColumnValue(f, rec[f]));
}
