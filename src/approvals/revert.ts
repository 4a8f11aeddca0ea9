// Revert an executed write: a reviewer asks for it, and a new approval is made that restores what
// the write changed (UPDATE back to the kept before-image, DELETE of the inserted rows, both by
// primary key). It is a reviewer's approval, not an agent's request: no policy tier applies, it
// carries the asking reviewer's vote, and it runs through the same execution spine — exactly once,
// and only while the rows are still what the original execution left (the drift check, at
// tolerance 0, against the digest kept at execution). Tables without a primary key are refused.
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { Auditor } from '../domain/audit.js';
import type { ApprovalsConfig } from '../config/schema.js';
import type { ApprovalRecord, PreviewSummary } from '../domain/approval.js';
import type { Door } from '../domain/request.js';
import type { UndoRecord } from '../domain/standing.js';
import { canonicalJson } from '../domain/canonical-json.js';
import { insufficientPrivilege, invalidParameterValue, notInPrerequisiteState } from '../errors.js';
import { approvalBinding } from './binding.js';
import { OPEN, type ReviewService } from './review-service.js';
import { revertSql } from './undo-sql.js';

export interface RevertDeps {
  store: Store;
  audit: Auditor;
  config: ApprovalsConfig;
  review: ReviewService;
}

type Kept = Extract<UndoRecord, { kind: 'update' | 'insert' }>;

/** The request key of "the revert of": one open or executed revert per approval. */
const revertKey = (id: string) => `revert:${id}`;

export class RevertService {
  constructor(private readonly deps: RevertDeps) {}

  /** A new approval that restores what approval `id` changed, carrying `reviewer`'s vote. */
  async create(id: string, reviewer: string, comment?: string, door: Door = 'api'): Promise<ApprovalRecord> {
    if (!reviewer || typeof reviewer !== 'string') throw invalidParameterValue('a reviewer name is required');
    const { store, config, review } = this.deps;
    const rec = await review.get(id);
    if (rec.status !== 'executed') throw notInPrerequisiteState(`approval ${id} is ${rec.status}: only an executed write can be reverted`);
    if (rec.call) throw notInPrerequisiteState(`approval ${id} is an API call: a call sent to another system cannot be reverted from here`);
    const undo = await store.getApprovalUndo(id);
    if (!undo) {
      throw notInPrerequisiteState(`approval ${id} cannot be reverted: nothing was kept of the rows it changed when it was executed`);
    }
    if (undo.kind === 'unavailable') throw notInPrerequisiteState(`approval ${id} cannot be reverted: ${undo.reason}`);
    if (!config.allowSelfApproval && reviewer === rec.agentName) {
      throw insufficientPrivilege(`${reviewer} requested approval ${id} and cannot approve its revert (no self-approval)`);
    }
    const earlier = await store.findApprovalByRequestKey(revertKey(id), [...OPEN, 'executed']);
    if (earlier) throw notInPrerequisiteState(`approval ${id} has a revert already: ${earlier.id} (${earlier.status})`);
    const { sql, params } = revertSql(undo);
    const preview = revertPreview(undo, config.previewRowLimit);
    const now = Date.now();
    const required = Math.max(1, config.requiredApprovals);
    const note = comment ?? `revert of approval ${id}`;
    const created = await store.insertApproval({
      id: randomUUID(),
      status: required <= 1 ? 'approved' : 'pending',
      expiresAt: now + config.expiryMinutes * 60_000,
      agentId: rec.agentId,
      agentName: rec.agentName,
      door,
      database: rec.database,
      sql,
      params,
      binding: approvalBinding(revertKey(id), preview.digest ?? preview.beforeDigest),
      requestKey: revertKey(id),
      decision: { decision: 'ask', rule: 'revert', reason: `revert of approval ${id}, asked for by ${reviewer}`, statements: [] },
      preview,
      requiredApprovals: required,
      approvals: [{ reviewer, at: now, comment: note }],
      comment: note,
      revertOf: id,
    });
    this.deps.audit.append({
      type: 'revert.requested',
      agent: rec.agentName,
      door,
      database: rec.database,
      approvalId: id,
      data: { revert: created.id, reviewer, comment, table: `${undo.schema}.${undo.table}`, rows: undo.rows.length, kind: undo.kind },
    });
    review.audit('approval.created', created, { data: { reviewer, tables: [`${undo.schema}.${undo.table}`] } });
    if (created.status === 'approved') {
      review.audit('approval.approved', created, { data: { reviewer, comment: note, votes: 1, required } });
      await review.handOver(created.id);
    } else {
      review.announce(created);
    }
    return created;
  }
}

/** What the reviewer of a revert sees: the rows as they are now (as the write left them) and as they will be. */
function revertPreview(u: Kept, limit: number): PreviewSummary {
  const now = u.afterSample.slice(0, limit);
  const truncated = u.afterCount > now.length;
  if (u.kind === 'insert') return { available: true, affectedRows: u.afterCount, rows: now, truncated, digest: u.afterDigest };
  const keyOf = (row: Record<string, unknown>) => canonicalJson(u.primaryKey.map((c) => asText(row[c])));
  const restored = new Map<string, Record<string, unknown>>();
  for (const text of u.rows) {
    const row = JSON.parse(text) as Record<string, unknown>;
    restored.set(keyOf(row), Object.fromEntries(Object.entries(row).map(([k, v]) => [k, asText(v)])));
  }
  const rows = now.map((r) => ({ ...r, ...pick(restored.get(keyOf(r)), u.columns) }));
  return {
    available: true,
    affectedRows: u.afterCount,
    rows,
    before: now,
    truncated,
    beforeDigest: u.afterDigest,
    beforeCount: u.afterCount,
  };
}

const asText = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v));

function pick(row: Record<string, unknown> | undefined, columns: string[]): Record<string, unknown> {
  if (!row) return {};
  return Object.fromEntries(columns.filter((c) => c in row).map((c) => [c, row[c]]));
}
