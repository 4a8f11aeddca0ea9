// Standing approvals and the undo records of executed writes, in portable SQL (both dialects).
// A use is counted by one conditional UPDATE: the row lock (PostgreSQL) or the write lock (SQLite)
// makes "still active, uses left" and the increment one step, so gateways sharing a store never
// exceed a rule's maximum together.
import type { NewStandingApproval, StandingApproval, StandingFilter, StandingQuery, UndoRecord } from '../domain/standing.js';
import { STANDING_KINDS } from '../domain/standing.js';
import { AirlockError, SqlState, invalidParameterValue } from '../errors.js';
import { isUniqueViolation, type Row, type SqlExec } from './sql-driver.js';

const COLUMNS = [
  'id',
  'created_at',
  'created_by',
  'source_approval_id',
  'agent_id',
  'agent_name',
  'kind',
  'database',
  'match_key',
  'example',
  'condition',
  'comment',
  'expires_at',
  'max_uses',
] as const;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

function rowToStanding(r: Row): StandingApproval {
  const kind = String(r.kind);
  return {
    id: String(r.id),
    createdAt: Number(r.created_at),
    createdBy: String(r.created_by),
    sourceApprovalId: String(r.source_approval_id),
    agentId: String(r.agent_id),
    agentName: String(r.agent_name),
    kind: (STANDING_KINDS as readonly string[]).includes(kind) ? (kind as StandingApproval['kind']) : 'sql',
    database: String(r.database),
    match: String(r.match_key),
    example: String(r.example),
    condition: text(r.condition),
    comment: text(r.comment),
    expiresAt: num(r.expires_at),
    maxUses: num(r.max_uses),
    uses: Number(r.uses ?? 0),
    lastUsedAt: num(r.last_used_at),
    revokedAt: num(r.revoked_at),
    revokedBy: text(r.revoked_by),
  };
}

/** "active at ?": not revoked, not expired, uses left (two placeholders, both `now`) */
const ACTIVE = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) AND (max_uses IS NULL OR uses < max_uses)';

export async function insertStanding(db: SqlExec, s: NewStandingApproval): Promise<StandingApproval> {
  const values = [
    s.id,
    s.createdAt,
    s.createdBy,
    s.sourceApprovalId,
    s.agentId,
    s.agentName,
    s.kind,
    s.database,
    s.match,
    s.example,
    s.condition,
    s.comment,
    s.expiresAt,
    s.maxUses,
  ];
  try {
    const rows = await db.all(
      `INSERT INTO standing_approvals (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) RETURNING *`,
      values,
    );
    return rowToStanding(rows[0]);
  } catch (err) {
    if (isUniqueViolation(err)) throw new AirlockError(`standing approval ${s.id} already exists`, SqlState.invalidParameterValue, 409);
    throw err;
  }
}

export async function getStanding(db: SqlExec, id: string): Promise<StandingApproval | null> {
  const rows = await db.all('SELECT * FROM standing_approvals WHERE id = ?', [id]);
  return rows.length ? rowToStanding(rows[0]) : null;
}

export async function listStanding(db: SqlExec, filter: StandingFilter = {}, now = Date.now()): Promise<StandingApproval[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (!filter.all) {
    where.push(ACTIVE);
    params.push(now);
  }
  if (filter.agent !== undefined) {
    where.push('agent_name = ?');
    params.push(filter.agent);
  }
  const limit = filter.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) throw invalidParameterValue('standing approval list limit must be a positive integer');
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const rows = await db.all(`SELECT * FROM standing_approvals${clause} ORDER BY created_at DESC, id LIMIT ${limit}`, params);
  return rows.map(rowToStanding);
}

/** The active standing approvals that could approve this request, oldest first. */
export async function findStanding(db: SqlExec, q: StandingQuery): Promise<StandingApproval[]> {
  const rows = await db.all(
    `SELECT * FROM standing_approvals WHERE agent_id = ? AND kind = ? AND database = ? AND match_key = ? AND ${ACTIVE} ORDER BY created_at, id LIMIT 50`,
    [q.agentId, q.kind, q.database, q.match, q.now],
  );
  return rows.map(rowToStanding);
}

/** Count one use, only while the rule is active; null when it is not (revoked, expired, used up). */
export async function useStanding(db: SqlExec, id: string, now: number): Promise<StandingApproval | null> {
  const rows = await db.all(`UPDATE standing_approvals SET uses = uses + 1, last_used_at = ? WHERE id = ? AND ${ACTIVE} RETURNING *`, [
    now,
    id,
    now,
  ]);
  return rows.length ? rowToStanding(rows[0]) : null;
}

/** Revoke (once); null when there is no such rule or it was revoked already. */
export async function revokeStanding(db: SqlExec, id: string, by: string, now: number): Promise<StandingApproval | null> {
  const rows = await db.all(
    'UPDATE standing_approvals SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL RETURNING *',
    [now, by, id],
  );
  return rows.length ? rowToStanding(rows[0]) : null;
}

export async function putUndo(db: SqlExec, approvalId: string, undo: UndoRecord): Promise<void> {
  await db.run('INSERT INTO approval_undo (approval_id, created_at, undo) VALUES (?, ?, ?) ON CONFLICT (approval_id) DO NOTHING', [
    approvalId,
    Date.now(),
    JSON.stringify(undo),
  ]);
}

export async function getUndo(db: SqlExec, approvalId: string): Promise<UndoRecord | null> {
  const rows = await db.all('SELECT undo FROM approval_undo WHERE approval_id = ?', [approvalId]);
  if (!rows.length) return null;
  try {
    return JSON.parse(String(rows[0].undo)) as UndoRecord;
  } catch {
    return { kind: 'unavailable', reason: 'the stored undo record does not parse' };
  }
}
