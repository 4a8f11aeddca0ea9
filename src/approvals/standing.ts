// Standing approvals ("always allow"): a reviewer makes one from an approval, and later requests of
// the same agent with the same shape — the statement fingerprint on the same database, or the same
// integration and method — are approved by it while it is active (not revoked, not expired, uses
// left) and its condition holds. It is consulted only where a request would be held for a reviewer
// (the ask tier): it never lifts a block, never applies to another agent, and never stands in for
// two reviewers (dual approval, thresholds that ask for two).
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { Auditor } from '../domain/audit.js';
import type { ApprovalsConfig } from '../config/schema.js';
import type { ApprovalRecord } from '../domain/approval.js';
import type { Door } from '../domain/request.js';
import type { StandingApproval, StandingFilter, StandingKind, StandingOptions } from '../domain/standing.js';
import { insufficientPrivilege, invalidParameterValue, notInPrerequisiteState, undefinedObject } from '../errors.js';
import { compileCondition, type CompiledCondition, type ConditionFacts } from './standing-condition.js';
import type { ReviewService } from './review-service.js';
import { validateApprovalId } from './review-rules.js';

export interface StandingDeps {
  store: Store;
  audit: Auditor;
  config: ApprovalsConfig;
  review: ReviewService;
}

/** The reviewer that approvals made by a standing approval name. */
export const standingReviewer = (id: string) => `standing:${id}`;

const MAX_USES = 1_000_000_000;

export function validateStandingId(id: unknown): asserts id is string {
  try {
    validateApprovalId(id);
  } catch {
    throw invalidParameterValue(`malformed standing approval id ${JSON.stringify(String(id).slice(0, 80))}: expected a UUID`);
  }
}

export class StandingService {
  private readonly compiled = new Map<string, CompiledCondition>();

  constructor(private readonly deps: StandingDeps) {}

  /** Make a standing approval from an approval (a pending one is approved by the same reviewer). */
  async create(approvalId: string, reviewer: string, opts: StandingOptions = {}, door: Door = 'api'): Promise<StandingApproval> {
    if (!reviewer || typeof reviewer !== 'string') throw invalidParameterValue('a reviewer name is required');
    let rec = await this.deps.review.get(approvalId);
    this.checkSource(rec, reviewer);
    const condition = opts.condition?.trim() ? opts.condition.trim() : null;
    if (condition) compileCondition(condition);
    const now = Date.now();
    if (opts.expiresAt !== undefined && (!Number.isFinite(opts.expiresAt) || opts.expiresAt <= now)) {
      throw invalidParameterValue('the expiry must be in the future');
    }
    if (opts.maxUses !== undefined && (!Number.isInteger(opts.maxUses) || opts.maxUses < 1 || opts.maxUses > MAX_USES)) {
      throw invalidParameterValue(`the maximum number of uses must be an integer from 1 to ${MAX_USES}`);
    }
    const agent = await this.deps.store.findAgentByName(rec.agentName);
    if (!agent || agent.id !== rec.agentId || agent.revokedAt !== null) {
      throw notInPrerequisiteState(`the agent ${rec.agentName} was revoked: nothing is approved for it in advance`);
    }
    const shape = await sourceShape(rec);
    if (rec.status === 'pending')
      rec = await this.deps.review.approve(rec.id, reviewer, opts.comment ?? 'approved, and always allowed from now on');
    const created = await this.deps.store.insertStanding({
      id: randomUUID(),
      createdAt: now,
      createdBy: reviewer,
      sourceApprovalId: rec.id,
      agentId: rec.agentId,
      agentName: rec.agentName,
      kind: shape.kind,
      database: shape.database,
      match: shape.match,
      example: rec.sql.slice(0, 4096),
      condition,
      comment: opts.comment ?? null,
      expiresAt: opts.expiresAt ?? null,
      maxUses: opts.maxUses ?? null,
    });
    this.event('standing.created', created, { door, approvalId: rec.id, data: { reviewer, example: created.example } });
    return created;
  }

  /** Who may not be approved in advance, and what cannot be. */
  private checkSource(rec: ApprovalRecord, reviewer: string): void {
    const { config } = this.deps;
    if (rec.revertOf) throw notInPrerequisiteState(`approval ${rec.id} is a revert, made by a reviewer: there is nothing to allow again`);
    if (rec.status === 'denied' || rec.status === 'expired') {
      throw notInPrerequisiteState(`approval ${rec.id} was ${rec.status}: a standing approval is made from a request a reviewer approves`);
    }
    const required = Math.max(rec.requiredApprovals, config.requiredApprovals);
    if (required > 1) {
      throw insufficientPrivilege(`approval ${rec.id} needs ${required} reviewers: one reviewer cannot approve its like in advance`);
    }
    if (!config.allowSelfApproval && reviewer === rec.agentName) {
      throw insufficientPrivilege(`${reviewer} requested approval ${rec.id} and cannot approve its like in advance (no self-approval)`);
    }
  }

  list(filter: StandingFilter = {}): Promise<StandingApproval[]> {
    return this.deps.store.listStanding(filter);
  }

  async get(id: string): Promise<StandingApproval> {
    validateStandingId(id);
    const s = await this.deps.store.getStanding(id);
    if (!s) throw undefinedObject(`standing approval ${id} does not exist`);
    return s;
  }

  /** Revoke: it approves nothing from now on (approvals it already made stand). */
  async revoke(id: string, reviewer: string, door: Door = 'api'): Promise<StandingApproval> {
    if (!reviewer || typeof reviewer !== 'string') throw invalidParameterValue('a reviewer name is required');
    const before = await this.get(id);
    if (before.revokedAt !== null)
      throw notInPrerequisiteState(`standing approval ${id} was revoked by ${before.revokedBy ?? 'someone'} already`);
    const revoked = await this.deps.store.revokeStanding(id, reviewer, Date.now());
    if (!revoked) throw notInPrerequisiteState(`standing approval ${id} was revoked by someone else meanwhile`);
    this.event('standing.revoked', revoked, { door, approvalId: revoked.sourceApprovalId, data: { reviewer } });
    return revoked;
  }

  /**
   * The first active standing approval of this agent for this request shape whose condition holds,
   * with its use counted (atomically, in the store); null when none approves it.
   */
  async use(
    q: { agentId: string; kind: StandingKind; database: string; match: string },
    facts: ConditionFacts,
  ): Promise<StandingApproval | null> {
    const now = Date.now();
    for (const rule of await this.deps.store.findStanding({ ...q, now })) {
      if (rule.agentId !== q.agentId) continue; // never another agent's
      if (rule.condition && this.condition(rule.condition)(facts) !== true) continue;
      const used = await this.deps.store.useStanding(rule.id, now);
      if (used) return used;
    }
    return null;
  }

  private condition(text: string): CompiledCondition {
    let c = this.compiled.get(text);
    if (!c) {
      try {
        c = compileCondition(text);
      } catch {
        c = () => 'does not compile';
      }
      if (this.compiled.size >= 500) this.compiled.delete(this.compiled.keys().next().value!);
      this.compiled.set(text, c);
    }
    return c;
  }

  /** standing.used, naming the rule, beside the approval it made. */
  used(rule: StandingApproval, rec: ApprovalRecord, requestId?: string): void {
    this.event('standing.used', rule, {
      door: rec.door as Door,
      approvalId: rec.id,
      requestId,
      data: { uses: rule.uses, maxUses: rule.maxUses },
    });
  }

  private event(
    type: 'standing.created' | 'standing.used' | 'standing.revoked',
    s: StandingApproval,
    ctx: { door: Door; approvalId: string; requestId?: string; data?: Record<string, unknown> },
  ): void {
    this.deps.audit.append({
      type,
      agent: s.agentName,
      door: ctx.door,
      database: s.database,
      approvalId: ctx.approvalId,
      requestId: ctx.requestId ?? null,
      data: {
        standing: s.id,
        kind: s.kind,
        match: s.match,
        condition: s.condition,
        expiresAt: s.expiresAt,
        maxUses: s.maxUses,
        ...ctx.data,
      },
    });
  }
}

/** What a standing approval made from this approval matches: statement fingerprint, or integration and method. */
async function sourceShape(rec: ApprovalRecord): Promise<{ kind: StandingKind; database: string; match: string }> {
  if (rec.call) return { kind: 'api', database: rec.call.integration, match: rec.call.method };
  // the parser is loaded for this only (the CLI's admin commands start without it)
  const { statementShape } = await import('./fingerprint.js');
  const shape = await statementShape(rec.sql);
  if (typeof shape === 'string') throw invalidParameterValue(`approval ${rec.id} cannot be allowed by its shape: ${shape}`);
  return { kind: 'sql', database: rec.database, match: shape.fingerprint };
}
