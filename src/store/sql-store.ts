// The Store written once in portable SQL over a small driver; the SQLite and PostgreSQL
// adapters only supply the driver (placeholders, transactions, locks).
import type { ApprovalStatus } from '../domain/approval.js';
import { AirlockError, SqlState, invalidParameterValue } from '../errors.js';
import {
  APPROVAL_INSERT_COLUMNS,
  approvalInsertValues,
  assertStatus,
  newApprovalRecord,
  patchAssignments,
  rowToApproval,
} from './approval-rows.js';
import { appendAuditBlock, auditPageQuery, checkpointAuditHead, auditQuery, rowToAuditEvent, rowToCheckpoint } from './audit-sql.js';
import { iterateBlockEvents, listBlockEvents } from './audit-blocks.js';
import { prepareAudit, type PreparedAudit } from './chain-hash.js';
import { loadMigrations, runMigrations } from './migrate.js';
import { isUniqueViolation, type SqlDriver } from './sql-driver.js';
import * as reviewerSql from './reviewer-sql.js';
import * as agentSql from './agent-sql.js';
import * as vaultSql from './vault-sql.js';
import * as standingSql from './standing-sql.js';
import type {
  AppendBatchOptions,
  AppendBatchResult,
  AppendResult,
  CheckpointSigner,
  NewSecret,
  SecretRecord,
  SessionTimes,
  Store,
} from './store.js';
import type { AgentAuth, AgentRecord } from '../domain/agent.js';
import type { ApprovalChange, ApprovalFilter, ApprovalRecord, ApprovalUpdate, NewApproval } from '../domain/approval.js';
import type { AuditBody, AuditCheckpoint, AuditEvent, AuditFilter } from '../domain/audit.js';
import type { ReviewerRecord, ReviewerSession } from '../domain/reviewer.js';
import type { NewStandingApproval, StandingApproval, StandingFilter, StandingQuery, UndoRecord } from '../domain/standing.js';

export interface SqlStoreOptions {
  /** apply migrations at open (default true) */
  migrate?: boolean;
  /** directory holding sqlite/ and postgres/ migration folders */
  migrationsDir?: string;
}

const PAGE = 1000;

const statusList = (statuses: readonly ApprovalStatus[]) => {
  if (!statuses.length) throw invalidParameterValue('at least one approval status is required');
  statuses.forEach(assertStatus);
  return { sql: statuses.map(() => '?').join(','), values: [...statuses] };
};

export class SqlStore implements Store {
  constructor(
    private readonly db: SqlDriver,
    readonly kind: 'sqlite' | 'postgres',
    private readonly opts: SqlStoreOptions = {},
  ) {}

  migrate(): Promise<number[]> {
    return runMigrations(this.db, loadMigrations(this.db.dialect, this.opts.migrationsDir));
  }

  // ---- agents (src/store/agent-sql.ts) ----

  createAgent(name: string): Promise<{ agent: AgentRecord; token: string }> {
    return agentSql.createAgent(this.db, name);
  }

  authenticateAgent(name: string, token: string): Promise<AgentRecord | null> {
    return agentSql.authenticateAgent(this.db, name, token);
  }

  authenticateToken(token: string): Promise<AgentRecord | null> {
    return agentSql.authenticateToken(this.db, token);
  }

  findAgentByName(name: string): Promise<AgentRecord | null> {
    return agentSql.findAgentByName(this.db, name);
  }

  listAgents(): Promise<AgentRecord[]> {
    return agentSql.listAgents(this.db);
  }

  revokeAgent(name: string): Promise<AgentRecord | null> {
    return agentSql.revokeAgent(this.db, name);
  }

  getAgentTokenHash(name: string): Promise<string | null> {
    return agentSql.getAgentTokenHash(this.db, name);
  }

  getAgentAuth(name: string): Promise<AgentAuth | null> {
    return agentSql.getAgentAuth(this.db, name);
  }

  listRevokedSince(since: number): Promise<AgentRecord[]> {
    return agentSql.listRevokedSince(this.db, since);
  }

  // ---- approvals ----

  async insertApproval(input: NewApproval): Promise<ApprovalRecord> {
    const rec = newApprovalRecord(input);
    const cols = APPROVAL_INSERT_COLUMNS;
    const rows = await this.db
      .all(`INSERT INTO approvals (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) RETURNING *`, approvalInsertValues(rec))
      .catch((err) => {
        if (isUniqueViolation(err)) throw new AirlockError(`approval ${rec.id} already exists`, SqlState.invalidParameterValue, 409);
        throw err;
      });
    return rowToApproval(rows[0]);
  }

  async getApproval(id: string): Promise<ApprovalRecord | null> {
    const rows = await this.db.all('SELECT * FROM approvals WHERE id = ?', [id]);
    return rows.length ? rowToApproval(rows[0]) : null;
  }

  async listApprovals(filter: ApprovalFilter = {}): Promise<ApprovalRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status !== undefined) {
      const s = statusList(typeof filter.status === 'string' ? [filter.status] : filter.status);
      where.push(`status IN (${s.sql})`);
      params.push(...s.values);
    }
    if (filter.agent !== undefined) {
      where.push('agent_name = ?');
      params.push(filter.agent);
    }
    const limit = filter.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) throw invalidParameterValue('approval list limit must be a positive integer');
    const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const rows = await this.db.all(`SELECT * FROM approvals${clause} ORDER BY created_at DESC, id LIMIT ${limit}`, params);
    return rows.map(rowToApproval);
  }

  async updateApproval(id: string, update: ApprovalUpdate): Promise<ApprovalRecord | null> {
    const from = statusList(update.fromStatus);
    const { sets, values } = patchAssignments(update.patch);
    sets.push('version = version + 1', 'updated_at = ?');
    values.push(Math.trunc(Number(update.patch.updatedAt ?? Date.now())));
    let sql = `UPDATE approvals SET ${sets.join(', ')} WHERE id = ? AND status IN (${from.sql})`;
    values.push(id, ...from.values);
    if (update.expectVersion !== undefined) {
      sql += ' AND version = ?';
      values.push(update.expectVersion);
    }
    // One statement: the row lock (PG) / write lock (SQLite) makes the status check and the write atomic.
    const rows = await this.db.all(`${sql} RETURNING *`, values);
    return rows.length ? rowToApproval(rows[0]) : null;
  }

  async listApprovalsByStatus(statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord[]> {
    const s = statusList(statuses);
    const rows = await this.db.all(`SELECT * FROM approvals WHERE status IN (${s.sql}) ORDER BY created_at, id`, s.values);
    return rows.map(rowToApproval);
  }

  async countApprovals(statuses: readonly ApprovalStatus[]): Promise<number> {
    const s = statusList(statuses);
    const rows = await this.db.all<{ n: number | string }>(`SELECT count(*) AS n FROM approvals WHERE status IN (${s.sql})`, s.values);
    return Number(rows[0]?.n ?? 0);
  }

  async findApprovalByRequestKey(requestKey: string, statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord | null> {
    return this.newestApprovalWhere('request_key', requestKey, statuses);
  }

  async findApprovalByBinding(binding: string, statuses: readonly ApprovalStatus[]): Promise<ApprovalRecord | null> {
    return this.newestApprovalWhere('binding', binding, statuses);
  }

  private async newestApprovalWhere(
    column: 'binding' | 'request_key',
    value: string,
    statuses: readonly ApprovalStatus[],
  ): Promise<ApprovalRecord | null> {
    const s = statusList(statuses);
    const rows = await this.db.all(
      `SELECT * FROM approvals WHERE ${column} = ? AND status IN (${s.sql}) ORDER BY created_at DESC, id LIMIT 1`,
      [value, ...s.values],
    );
    return rows.length ? rowToApproval(rows[0]) : null;
  }

  // ---- standing approvals and undo records (src/store/standing-sql.ts) ----

  insertStanding(rec: NewStandingApproval): Promise<StandingApproval> {
    return standingSql.insertStanding(this.db, rec);
  }

  getStanding(id: string): Promise<StandingApproval | null> {
    return standingSql.getStanding(this.db, id);
  }

  listStanding(filter?: StandingFilter): Promise<StandingApproval[]> {
    return standingSql.listStanding(this.db, filter);
  }

  findStanding(query: StandingQuery): Promise<StandingApproval[]> {
    return standingSql.findStanding(this.db, query);
  }

  useStanding(id: string, now: number): Promise<StandingApproval | null> {
    return standingSql.useStanding(this.db, id, now);
  }

  revokeStanding(id: string, by: string, now: number): Promise<StandingApproval | null> {
    return standingSql.revokeStanding(this.db, id, by, now);
  }

  putApprovalUndo(approvalId: string, undo: UndoRecord): Promise<void> {
    return standingSql.putUndo(this.db, approvalId, undo);
  }

  getApprovalUndo(approvalId: string): Promise<UndoRecord | null> {
    return standingSql.getUndo(this.db, approvalId);
  }

  listApprovalChanges(since: number, limit?: number): Promise<ApprovalChange[]> {
    return reviewerSql.listApprovalChanges(this.db, since, limit);
  }

  // ---- reviewer accounts and console sessions (src/store/reviewer-sql.ts) ----

  createReviewer(name: string, password: string, admin: boolean): Promise<ReviewerRecord> {
    return reviewerSql.createReviewer(this.db, name, password, admin);
  }

  checkReviewerPassword(name: string, password: string): Promise<ReviewerRecord | null> {
    return reviewerSql.checkReviewerPassword(this.db, name, password);
  }

  listReviewers(): Promise<ReviewerRecord[]> {
    return reviewerSql.listReviewers(this.db);
  }

  removeReviewer(name: string): Promise<ReviewerRecord | null> {
    return this.db.transaction((tx) => reviewerSql.removeReviewer(tx, name));
  }

  createReviewerSession(reviewer: ReviewerRecord, times: SessionTimes): Promise<{ token: string; session: ReviewerSession }> {
    return reviewerSql.createSession(this.db, reviewer, times);
  }

  getReviewerSession(token: string, idleMs: number): Promise<ReviewerSession | null> {
    return reviewerSql.getSession(this.db, token, idleMs);
  }

  deleteReviewerSession(token: string): Promise<void> {
    return reviewerSql.deleteSession(this.db, token);
  }

  // ---- vault ----

  putSecret(secret: NewSecret): Promise<void> {
    return vaultSql.putSecret(this.db, secret);
  }

  getSecret(name: string): Promise<SecretRecord | null> {
    return vaultSql.getSecret(this.db, name);
  }

  async listSecretNames(): Promise<string[]> {
    return (await vaultSql.listSecrets(this.db)).map((s) => s.name);
  }

  listSecrets(): Promise<Pick<SecretRecord, 'name' | 'createdAt' | 'updatedAt'>[]> {
    return vaultSql.listSecrets(this.db);
  }

  getVaultKeyCheck(): Promise<string | null> {
    return vaultSql.getKeyCheck(this.db);
  }

  setVaultKeyCheck(check: string): Promise<string> {
    return vaultSql.setKeyCheck(this.db, check);
  }

  deleteSecret(name: string): Promise<boolean> {
    return vaultSql.deleteSecret(this.db, name);
  }

  // ---- audit ----

  async appendAuditEvents(events: readonly AuditBody[]): Promise<AppendResult> {
    // Serialize outside the lock; only the chained sha256 needs the previous hash.
    return this.appendAuditBatch(events.map(prepareAudit));
  }

  async appendAuditBatch(events: readonly PreparedAudit[], opts: AppendBatchOptions = {}): Promise<AppendBatchResult> {
    if (!events.length) return { firstSeq: 0, lastSeq: 0, lastHash: '' };
    return this.db.transaction((tx) => appendAuditBlock(tx, events, opts), 'audit');
  }

  async checkpointAuditHead(sign: CheckpointSigner): Promise<AuditCheckpoint | null> {
    return this.db.transaction((tx) => checkpointAuditHead(tx, sign), 'audit');
  }

  async journalApplied(name: string): Promise<number> {
    const rows = await this.db.all<{ applied: unknown }>('SELECT applied FROM audit_journal WHERE journal = ?', [name]);
    return rows.length ? Number(rows[0].applied) : 0;
  }

  async forgetJournal(name: string): Promise<void> {
    await this.db.run('DELETE FROM audit_journal WHERE journal = ?', [name]);
  }

  async listAuditCheckpoints(): Promise<AuditCheckpoint[]> {
    return (await this.db.all('SELECT seq, hash, root, ts, mac FROM audit_checkpoints ORDER BY seq')).map(rowToCheckpoint);
  }

  /**
   * Blocks hold every event since migration 0010; rows of audit_events only older ones (a store from
   * before), so newest first reads blocks then rows, oldest first rows then blocks.
   */
  async listAudit(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    auditQuery(filter); // an invalid filter fails before anything is read
    const limit = filter.limit ?? 100;
    const rows = async (n: number) => {
      const q = auditQuery({ ...filter, limit: n });
      return (await this.db.all(q.sql, q.params)).map(rowToAuditEvent);
    };
    const blocks = (n: number) => listBlockEvents(this.db, filter, n);
    const [from, thenFrom] = filter.order === 'asc' ? [rows, blocks] : [blocks, rows];
    const first = await from(limit);
    return first.length >= limit ? first : first.concat(await thenFrom(limit - first.length));
  }

  async *iterateAudit(fromSeq = 1): AsyncIterable<AuditEvent> {
    let next = fromSeq;
    for (;;) {
      const q = auditPageQuery(next, PAGE);
      const rows = await this.db.all(q.sql, q.params);
      for (const r of rows) yield rowToAuditEvent(r);
      if (rows.length < PAGE) break;
      next = Number(rows[rows.length - 1].seq) + 1;
    }
    yield* iterateBlockEvents(this.db, fromSeq);
  }

  /** Idempotent: a second close waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.db.close();
    return this.closing;
  }

  private closing?: Promise<void>;
}
