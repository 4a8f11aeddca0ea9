// The reviewer side of approvals: read them, approve (the last required vote makes it `approved`),
// deny, and expire what nobody decided. Light on purpose: no parser, no upstream, no queue, so the
// CLI's `approvals approve` answers fast; a serving gateway picks approved work up from the store.
import type { Store } from '../store/store.js';
import type { ApprovalFilter, ApprovalRecord, ApprovalStatus } from '../domain/approval.js';
import type { Auditor, AuditEventType } from '../domain/audit.js';
import type { ApprovalsConfig } from '../config/schema.js';
import type { Notifier } from './webhook.js';
import { checkReviewerAction, validateApprovalId } from './review-rules.js';
import { notInPrerequisiteState, undefinedObject } from '../errors.js';

export interface ReviewDeps {
  store: Store;
  audit: Auditor;
  notifier?: Notifier;
  config: ApprovalsConfig;
  /** base URL of the web console, for review links */
  publicUrl: string;
  /** an approval changed (wakes waiters in this process) */
  onChange?: (id: string) => void;
  /** the last required vote was cast: hand the work to the execution queue now (else a gateway's sweeper does) */
  onApproved?: (id: string) => Promise<void>;
}

export class ReviewService {
  constructor(private readonly deps: ReviewDeps) {}

  reviewUrl(id: string): string {
    return `${this.deps.publicUrl.replace(/\/$/, '')}/approvals/${id}`;
  }

  /** what notices may show of an approval (masked columns masked: gateway masking) */
  private noticeView: (rec: ApprovalRecord) => ApprovalRecord = (rec) => rec;

  setNoticeView(view: (rec: ApprovalRecord) => ApprovalRecord): void {
    this.noticeView = view;
  }

  /** Review links follow the HTTP server once its real address is known (it listened on port 0). */
  setPublicUrl(url: string): void {
    this.deps.publicUrl = url;
  }

  async get(id: string): Promise<ApprovalRecord> {
    validateApprovalId(id);
    const rec = await this.deps.store.getApproval(id);
    if (!rec) throw undefinedObject(`approval ${id} does not exist`);
    return rec;
  }

  list(filter?: ApprovalFilter): Promise<ApprovalRecord[]> {
    return this.deps.store.listApprovals(filter);
  }

  /** Record one reviewer's approval; the last required vote makes it `approved`. */
  async approve(id: string, reviewer: string, comment?: string): Promise<ApprovalRecord> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const rec = await this.expireIfDue(await this.get(id));
      checkReviewerAction(rec, reviewer, this.deps.config, 'approve');
      const votes = [...rec.approvals, { reviewer, at: Date.now(), ...(comment ? { comment } : {}) }];
      const done = votes.length >= rec.requiredApprovals;
      const updated = await this.deps.store.updateApproval(id, {
        fromStatus: ['pending'],
        expectVersion: rec.version,
        patch: { approvals: votes, status: done ? 'approved' : 'pending', comment: comment ?? rec.comment },
      });
      if (!updated) continue; // someone else voted or decided at the same time: re-read and re-check
      this.audit(done ? 'approval.approved' : 'approval.voted', updated, {
        data: { reviewer, comment, votes: votes.length, required: rec.requiredApprovals },
      });
      if (done) {
        await this.deps.onApproved?.(id);
        this.deps.notifier?.notify({ type: 'approval.approved', approval: this.eventView(updated) });
      }
      this.deps.onChange?.(id);
      return updated;
    }
    throw notInPrerequisiteState(`approval ${id} is changing too fast; try again`);
  }

  async deny(id: string, reviewer: string, comment?: string): Promise<ApprovalRecord> {
    const rec = await this.expireIfDue(await this.get(id));
    checkReviewerAction(rec, reviewer, this.deps.config, 'deny');
    const updated = await this.deps.store.updateApproval(id, {
      fromStatus: ['pending'],
      expectVersion: rec.version,
      patch: { status: 'denied', deniedBy: reviewer, comment: comment ?? null },
    });
    if (!updated) throw notInPrerequisiteState(`approval ${id} was decided by someone else meanwhile; reload it`);
    this.audit('approval.denied', updated, { data: { reviewer, comment } });
    this.deps.notifier?.notify({ type: 'approval.denied', approval: this.eventView(updated) });
    this.deps.onChange?.(id);
    return updated;
  }

  /** An agent was revoked: its pending approvals are closed (denied by Airlock, audited). */
  async closeForRevoked(agent: { id: string; name: string }): Promise<number> {
    let n = 0;
    for (const rec of await this.deps.store.listApprovals({ status: 'pending', agent: agent.name, limit: 1000 })) {
      if (rec.agentId !== agent.id || rec.revertOf) continue; // a revert is a reviewer's, not the agent's
      const updated = await this.deps.store.updateApproval(rec.id, {
        fromStatus: ['pending'],
        expectVersion: rec.version,
        patch: { status: 'denied', deniedBy: 'airlock', comment: 'the agent was revoked' },
      });
      if (!updated) continue;
      this.audit('approval.denied', updated, { data: { reviewer: 'airlock', comment: 'the agent was revoked' } });
      this.deps.onChange?.(rec.id);
      n++;
    }
    return n;
  }

  /** Mark due pending approvals expired (safe with several gateways: compare-and-set). */
  async expireDue(): Promise<number> {
    let n = 0;
    for (const rec of await this.deps.store.listApprovalsByStatus(['pending'])) {
      if (rec.expiresAt <= Date.now() && (await this.expireIfDue(rec)).status === 'expired') n++;
    }
    return n;
  }

  async expireIfDue(rec: ApprovalRecord): Promise<ApprovalRecord> {
    if (rec.status !== 'pending' || rec.expiresAt > Date.now()) return rec;
    const updated = await this.deps.store.updateApproval(rec.id, {
      fromStatus: ['pending'],
      expectVersion: rec.version,
      patch: { status: 'expired' },
    });
    if (!updated) return (await this.deps.store.getApproval(rec.id)) ?? rec;
    this.audit('approval.expired', updated, {});
    this.deps.onChange?.(rec.id);
    return updated;
  }

  /** An approval approved outside approve() (a revert with its one vote): to the queue now, else a gateway's sweeper takes it. */
  async handOver(id: string): Promise<void> {
    await this.deps.onApproved?.(id);
    this.deps.onChange?.(id);
  }

  /** A new approval waits for reviewers: tell them (webhooks, chat). */
  announce(rec: ApprovalRecord): void {
    this.deps.notifier?.notify({ type: 'approval.pending', approval: this.eventView(rec) });
  }

  /** What webhooks and chat notices show of an approval. */
  eventView(shown: ApprovalRecord) {
    const rec = this.noticeView(shown);
    const p = rec.preview;
    return {
      id: rec.id,
      agent: rec.agentName,
      database: rec.database,
      sql: rec.sql,
      status: rec.status,
      reviewUrl: this.reviewUrl(rec.id),
      preview: p
        ? { available: p.available, reason: p.reason, affectedRows: p.affectedRows, rows: p.rows?.slice(0, 5) }
        : { available: false },
      actor: rec.deniedBy ?? rec.approvals.at(-1)?.reviewer,
      comment: rec.comment ?? undefined,
    };
  }

  /** One audit event about an approval, with its request context. */
  audit(type: AuditEventType, rec: ApprovalRecord, extra: { requestId?: string; data?: Record<string, unknown> }): void {
    this.deps.audit.append({
      type,
      agent: rec.agentName,
      door: rec.door,
      database: rec.database,
      decision: rec.decision?.decision ?? 'ask',
      rule: rec.decision?.rule ?? null,
      approvalId: rec.id,
      requestId: extra.requestId ?? null,
      data: {
        status: rec.status,
        sql: rec.sql.slice(0, 4096),
        // made by a standing approval, or a reviewer's revert: every event of it says so
        ...(rec.standingId ? { standing: rec.standingId } : {}),
        ...(rec.revertOf ? { revertOf: rec.revertOf } : {}),
        ...extra.data,
      },
    });
  }
}

export const OPEN: readonly ApprovalStatus[] = ['pending', 'approved', 'executing'];
export const FINAL: readonly ApprovalStatus[] = ['executed', 'denied', 'expired', 'failed', 'drifted'];
