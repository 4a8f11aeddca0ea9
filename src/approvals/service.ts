// The approval spine: hold a write (or an API call) for review, execute approved work exactly once.
import { EventEmitter } from 'node:events';
import type { Store } from '../store/store.js';
import type { ExecutionQueue } from './queue-types.js';
import type { Notifier } from './webhook.js';
import type { UpstreamPools } from '../upstream/pools.js';
import type { ApprovalsConfig } from '../config/schema.js';
import type { GatewayOutcome, GatewayRequest } from '../domain/request.js';
import type { ApiCallSpec, ApprovalRecord, ApprovalStatus } from '../domain/approval.js';
import type { Decision, StatementAnalysis } from '../domain/decision.js';
import { executeApproved, wasExecuted } from './execute.js';
import { callKey, requestKey } from './binding.js';
import type { ApiCallRequest, ApiResponse } from '../domain/api-call.js';
import { approvalOutcome } from './outcome.js';
import { FINAL, OPEN, ReviewService } from './review-service.js';
import { driftText } from './execution-text.js';
import { createCallApproval } from './call-approval.js';
import { createSqlApproval, type NewApprovalDeps } from './sql-approval.js';
import { StandingService } from './standing.js';
import { LEASE_MS, RENEW_EVERY_MS, leaseEnd, leaseLive, takeOver, underLease } from './execution-lease.js';
import { connectionFailure, undefinedObject, asAirlockError, internalError } from '../errors.js';
import { logger } from '../logger.js';
import type { Auditor, AuditEventType } from '../domain/audit.js';

/** how long a request approved by a standing approval waits when another queue worker runs it */
const CLAIMED_ELSEWHERE_WAIT_MS = 30_000;

export interface ApprovalServiceDeps {
  store: Store;
  audit: Auditor;
  pools: UpstreamPools;
  queue: ExecutionQueue;
  notifier?: Notifier;
  config: ApprovalsConfig;
  /** base URL of the web console, for review links */
  publicUrl: string;
  /** sends an approved API call (the gateway's API proxy); absent: API approvals fail */
  calls?: { send(spec: ApiCallSpec, approvalId: string): Promise<ApiResponse>; idempotent(spec: ApiCallSpec): boolean };
}

export class ApprovalService {
  private readonly events = new EventEmitter();
  private sweeper: NodeJS.Timeout | null = null;
  /** reading, approving, denying and expiring: shared with the CLI's light admin gateway */
  readonly review: ReviewService;
  /** standing approvals ("always allow"): consulted before a held request waits for a reviewer */
  readonly standing: StandingService;

  constructor(private readonly deps: ApprovalServiceDeps) {
    this.events.setMaxListeners(0);
    this.review = new ReviewService({
      ...deps,
      onChange: (id) => this.events.emit(id),
      onApproved: (id) =>
        deps.queue.enqueue(id).catch((err: Error) => {
          // stays `approved`; the sweeper (here or in another gateway) enqueues it again
          logger.error({ err: err.message, id }, 'approved but could not enqueue');
        }),
    });
    this.standing = new StandingService({ ...deps, review: this.review });
  }

  reviewUrl(id: string): string {
    return this.review.reviewUrl(id);
  }

  get(id: string): Promise<ApprovalRecord> {
    return this.review.get(id);
  }

  approve(id: string, reviewer: string, comment?: string): Promise<ApprovalRecord> {
    return this.review.approve(id, reviewer, comment);
  }

  deny(id: string, reviewer: string, comment?: string): Promise<ApprovalRecord> {
    return this.review.deny(id, reviewer, comment);
  }

  expireDue(): Promise<number> {
    return this.review.expireDue();
  }

  private audit(type: AuditEventType, rec: ApprovalRecord, extra: { requestId?: string; data?: Record<string, unknown> }): void {
    this.review.audit(type, rec, extra);
  }

  /** Start consuming the queue, re-enqueue work that survived a restart, and start expiring. */
  async start(): Promise<void> {
    await this.deps.queue.start((id) => this.execute(id), {
      concurrency: 4,
      onExhausted: (id, err) => this.finish(id, ['approved', 'executing'], 'failed', { error: err.message }).then(() => undefined),
    });
    await this.enqueueApproved();
    // approvals decided by another process (CLI, another gateway) reach the queue even when it is
    // in-process, and a dead gateway's executions are taken over once their leases lapse
    this.sweeper = setInterval(() => void Promise.all([this.expireDue(), this.enqueueApproved()]).catch(() => undefined), 1000);
    this.sweeper.unref();
  }

  /** To the queue: approved work, and executing work whose worker's lease lapsed (it died). */
  private async enqueueApproved(): Promise<void> {
    const now = Date.now();
    for (const rec of await this.deps.store.listApprovalsByStatus(['approved', 'executing'])) {
      if (rec.status === 'executing' && leaseLive(rec, now)) continue;
      await this.deps.queue.enqueue(rec.id).catch((err) => logger.warn({ err: err.message, id: rec.id }, 'could not enqueue approval'));
    }
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  /** Hold an ask-tier request: reuse a grant or pending approval for the identical request, else create one. */
  async hold(req: GatewayRequest, decision: Decision, statements: StatementAnalysis[]): Promise<GatewayOutcome> {
    const key = requestKey(req);
    const reused = await this.reuse(req.requestId, decision, key);
    if (reused) return reused;
    if (!(await this.deps.queue.healthy())) {
      throw connectionFailure('approval queue is unreachable: write requests are refused until it is back (fail closed)');
    }
    return createSqlApproval(this.creating(), req, decision, statements, key);
  }

  /** What creating an approval needs: a standing approval's approvals run at once, for the waiting request. */
  private creating(): NewApprovalDeps {
    return {
      ...this.deps,
      review: this.review,
      standing: this.standing,
      enqueue: (id) => this.deps.queue.enqueue(id),
      runNow: (rec, decision) => this.runNow(rec, decision),
    };
  }

  /**
   * Execute an approval made without a reviewer now, for the waiting request. A sweeper (of this
   * gateway or another) may have handed it to a queue worker first: then the request waits for that
   * worker's result, a bounded time. A lost connection leaves it to the queue (the request gets
   * `pending`, with the approval's id).
   */
  private async runNow(rec: ApprovalRecord, decision: Decision): Promise<GatewayOutcome> {
    let ran = true;
    await this.execute(rec.id, true).catch(async (err: Error) => {
      ran = false;
      logger.warn({ err: err.message, id: rec.id }, 'approved by a standing approval; execution left to the queue');
      await this.deps.queue.enqueue(rec.id).catch(() => undefined);
    });
    const now = await this.settled(rec.id, ran ? CLAIMED_ELSEWHERE_WAIT_MS : 0);
    if (now && FINAL.includes(now.status)) return this.finalOutcome(now, decision);
    return {
      status: 'pending',
      decision,
      approvalId: rec.id,
      reviewUrl: this.reviewUrl(rec.id),
      preview: now?.preview ?? { available: false },
    };
  }

  /** The identical request's unused one-time grant (its result), or its approval still open. */
  private async reuse(requestId: string | undefined, decision: Decision, key: string): Promise<GatewayOutcome | null> {
    const existing = await this.deps.store.findApprovalByRequestKey(key, [...OPEN, 'executed']);
    if (existing?.status === 'executed' && existing.grantUsedAt === null) {
      const used = await this.deps.store.updateApproval(existing.id, {
        fromStatus: ['executed'],
        expectVersion: existing.version,
        patch: { grantUsedAt: Date.now() },
      });
      if (used) {
        this.audit('approval.grant-used', used, { requestId });
        return approvalOutcome(used, decision, this.reviewUrl(used.id));
      }
    }
    if (!existing || !OPEN.includes(existing.status)) return null;
    const preview = existing.preview ?? { available: false };
    return { status: 'pending', decision, approvalId: existing.id, reviewUrl: this.reviewUrl(existing.id), preview };
  }

  /**
   * Hold an API call: an unused grant or open approval of the identical call (agent, integration,
   * method, canonical arguments) is reused; a changed argument is a new approval.
   */
  async holdCall(req: ApiCallRequest, decision: Decision, spec: ApiCallSpec, requiredApprovals?: number): Promise<GatewayOutcome> {
    const key = callKey(req.agent.id, spec);
    const reused = await this.reuse(req.requestId, decision, key);
    if (reused) return reused;
    if (!(await this.deps.queue.healthy())) {
      throw connectionFailure('approval queue is unreachable: calls that need approval are refused until it is back (fail closed)');
    }
    return createCallApproval(this.creating(), req, decision, spec, key, requiredApprovals);
  }

  /** An approved API call, sent once: a crash mid-send is retried only for idempotent methods. */
  private async executeCall(rec: ApprovalRecord, call: ApiCallSpec): Promise<void> {
    try {
      if (!this.deps.calls) throw internalError('this gateway has no API proxy');
      await this.finish(rec.id, ['executing'], 'executed', { result: await this.deps.calls.send(call, rec.id) });
    } catch (err) {
      await this.finish(rec.id, ['executing'], 'failed', { error: asAirlockError(err).message });
    }
  }

  /**
   * Queue handler: run an approved statement once; safe to call again after a crash. `fresh`: only
   * claim an approval still `approved` (one this gateway just made), never resume an `executing`
   * one, which another worker is running.
   */
  async execute(id: string, fresh = false): Promise<void> {
    let rec = await this.deps.store.getApproval(id);
    if (!rec || FINAL.includes(rec.status) || rec.status === 'pending' || (fresh && rec.status !== 'approved')) return;
    if (rec.status === 'executing') {
      // another worker's while its lease is live; else a dead worker's, taken over by one of us
      const taken = await takeOver(this.deps.store, rec);
      if (!taken) return;
      rec = taken;
      const committed = !rec.call && (await wasExecuted(this.deps.pools, rec.database, id));
      if (committed || rec.call) {
        // its worker may only have stalled: a live one renews its lease or finishes within one period
        if (await this.previousWorkerLives(rec)) return;
        if (committed) {
          await this.markExecutedWithoutResult(id);
          return;
        }
        if (!this.deps.calls?.idempotent(rec.call!)) {
          // sent or not, nobody knows: a call that is not idempotent is never sent a second time
          await this.finish(id, ['executing'], 'failed', { error: 'the gateway stopped while the call was in flight; not sent again' });
          return;
        }
      }
    }
    const agent = await this.deps.store.findAgentByName(rec.agentName);
    // a revert is a reviewer's work, not the agent's: it runs after the agent was revoked too
    if (!rec.revertOf && (!agent || agent.id !== rec.agentId || agent.revokedAt !== null)) {
      await this.finish(id, ['approved', 'executing'], 'failed', {
        error: 'the agent was revoked: approved work of a revoked agent never runs',
      });
      return;
    }
    if (rec.status === 'approved') {
      const claimed = await this.deps.store.updateApproval(id, {
        fromStatus: ['approved'],
        expectVersion: rec.version,
        patch: { status: 'executing', attempts: rec.attempts + 1, leaseUntil: leaseEnd() },
      });
      if (!claimed) return; // another worker claimed it
      rec = claimed;
      this.audit('execution.started', rec, {});
    }
    const running = rec;
    await underLease(this.deps.store, id, () => (running.call ? this.executeCall(running, running.call) : this.executeStatement(running)));
  }

  /** Run an approved statement (claimed: `executing`) exactly once, and record how it ended. */
  private async executeStatement(rec: ApprovalRecord): Promise<void> {
    const id = rec.id;
    const p = rec.preview;
    const outcome = await executeApproved(this.deps.pools, {
      approvalId: id,
      database: rec.database,
      sql: rec.sql,
      params: rec.params ?? [],
      expected: p?.available
        ? { affectedRows: p.affectedRows ?? 0, digest: p.digest ?? '', beforeDigest: p.beforeDigest, beforeCount: p.beforeCount }
        : undefined,
      tolerance: rec.revertOf ? 0 : this.deps.config.driftTolerance, // a revert restores exactly what it was shown
      rowLimit: this.deps.config.previewRowLimit,
      keepUndo: true,
    });
    if (outcome.status === 'executed' && outcome.undo) {
      await this.deps.store
        .putApprovalUndo(id, outcome.undo)
        .catch((err: Error) => logger.warn({ err: err.message, id }, 'undo record not kept'));
    }
    if (outcome.status === 'executed') await this.finish(id, ['executing'], 'executed', { result: outcome.result });
    // another worker committed it between our takeover and our claim: it is alive, let it record its result
    else if (outcome.status === 'already-executed') await this.markExecutedWithoutResult(id, LEASE_MS);
    else if (outcome.status === 'drifted') await this.finish(id, ['executing'], 'drifted', { error: driftText(outcome) });
    else await this.finish(id, ['executing'], 'failed', { error: outcome.error });
  }

  /**
   * After a takeover: did the previous worker show that it lives (it renewed its lease or finished)
   * within one renewal period? Then the approval stays its own: it finishes, or its lease lapses
   * again and the approval is taken over again.
   */
  private async previousWorkerLives(taken: ApprovalRecord): Promise<boolean> {
    const now = await this.settled(taken.id, RENEW_EVERY_MS + 1000);
    return !now || FINAL.includes(now.status) || now.version !== taken.version;
  }

  /** The statement committed under another worker, which records its own result unless it died. */
  private async markExecutedWithoutResult(id: string, waitMs = 0): Promise<void> {
    if (waitMs > 0) {
      const now = await this.settled(id, waitMs);
      if (!now || FINAL.includes(now.status)) return;
    }
    await this.finish(id, ['executing'], 'executed', {
      result: { note: 'executed by a worker that stopped before recording its result; result not kept' },
    });
  }

  /** Wait for an approval to reach a final state, or time out with 57014 naming it. */
  async awaitOutcome(id: string, timeoutMs: number, decision: Decision, signal?: AbortSignal): Promise<GatewayOutcome> {
    const rec = await this.settled(id, timeoutMs, signal);
    if (!rec) return { status: 'error', decision, approvalId: id, error: undefinedObject(`approval ${id} does not exist`) };
    if (!FINAL.includes(rec.status)) return approvalOutcome(rec, decision, this.reviewUrl(id), true);
    return this.finalOutcome(rec, decision);
  }

  /** The outcome of a final approval for the agent waiting on it, marking its one-time grant used. */
  private async finalOutcome(rec: ApprovalRecord, decision: Decision): Promise<GatewayOutcome> {
    // the waiting agent got the result: a later identical request is a new request, not this grant
    if (rec.status === 'executed' && rec.grantUsedAt === null) {
      await this.deps.store.updateApproval(rec.id, {
        fromStatus: ['executed'],
        expectVersion: rec.version,
        patch: { grantUsedAt: Date.now() },
      });
    }
    return approvalOutcome(rec, decision, this.reviewUrl(rec.id));
  }

  /** The approval once final, or as it stands when `timeoutMs` ran out (null: it does not exist). */
  private async settled(id: string, timeoutMs: number, signal?: AbortSignal): Promise<ApprovalRecord | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rec = await this.deps.store.getApproval(id);
      if (!rec || FINAL.includes(rec.status)) return rec;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return rec;
      await sleepUntilChange(this.events, id, Math.min(left, 250), signal);
    }
  }

  private async finish(id: string, from: readonly ApprovalStatus[], status: ApprovalStatus, patch: { result?: unknown; error?: string }) {
    const updated = await this.deps.store.updateApproval(id, { fromStatus: from, patch: { status, ...patch } });
    if (updated) {
      const type = status === 'executed' ? 'execution.executed' : status === 'drifted' ? 'execution.drifted' : 'execution.failed';
      const result = patch.result as { rowCount?: number } | undefined;
      this.audit(type, updated, { data: { error: patch.error, rowCount: result?.rowCount } });
      this.events.emit(id);
    }
    return updated;
  }
}

/** Resolves when the approval changes (an event for its id), after `ms`, or on abort. */
function sleepUntilChange(events: EventEmitter, id: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      events.off(id, done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    events.on(id, done);
    signal?.addEventListener('abort', done);
  });
}
