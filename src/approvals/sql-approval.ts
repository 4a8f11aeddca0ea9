// A new approval for a held SQL request: its preview, then whoever decides without a reviewer — a
// threshold (few rows), or a standing approval of this agent for this statement's shape — else it
// waits for a reviewer. Approvals made by a standing approval carry its id and count one of its uses.
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { UpstreamPools } from '../upstream/pools.js';
import type { ApprovalsConfig } from '../config/schema.js';
import type { GatewayOutcome, GatewayRequest } from '../domain/request.js';
import type { ApprovalRecord, NewApproval, PreviewSummary } from '../domain/approval.js';
import type { Decision, StatementAnalysis } from '../domain/decision.js';
import type { StandingApproval } from '../domain/standing.js';
import type { Notifier } from './webhook.js';
import type { ReviewService } from './review-service.js';
import { preview } from './preview.js';
import { approvalBinding } from './binding.js';
import { thresholdFor } from './thresholds.js';
import { previewForAudit } from './execution-text.js';
import { standingReviewer, type StandingService } from './standing.js';
import { statementShape } from './fingerprint.js';
import { asAirlockError } from '../errors.js';

export interface NewApprovalDeps {
  store: Store;
  pools: UpstreamPools;
  config: ApprovalsConfig;
  notifier?: Notifier;
  review: ReviewService;
  standing: StandingService;
  /** queue an approval that needs no reviewer */
  enqueue: (id: string) => Promise<void>;
  /** run an approval a standing approval made now, and answer the request with its outcome */
  runNow: (rec: ApprovalRecord, decision: Decision) => Promise<GatewayOutcome>;
}

/** Preview, then threshold, standing approval or a reviewer. */
export async function createSqlApproval(
  deps: NewApprovalDeps,
  req: GatewayRequest,
  decision: Decision,
  statements: StatementAnalysis[],
  key: string,
): Promise<GatewayOutcome> {
  const { store, config } = deps;
  const summary: PreviewSummary = await preview(deps.pools, {
    database: req.database,
    sql: req.sql,
    params: req.params ?? [],
    analysis: statements,
    rowLimit: config.previewRowLimit,
    timeoutMs: config.previewTimeoutMs,
  }).catch((err) => ({ available: false, reason: `preview unavailable: ${asAirlockError(err).message}` }));
  const tables = [...new Set(statements.flatMap((s) => s.tablesWritten))];
  const threshold = thresholdFor(config.thresholds, tables, summary);
  const required = threshold.dual ? Math.max(2, config.requiredApprovals) : config.requiredApprovals;
  // one reviewer's standing approval never stands in for two reviewers
  const rule = !threshold.autoApprove && required <= 1 ? await standingFor(deps.standing, req, summary, tables) : null;
  const now = Date.now();
  const by = threshold.autoApprove
    ? { reviewer: 'airlock:threshold', at: now, comment: threshold.reason }
    : rule
      ? { reviewer: standingReviewer(rule.id), at: now, comment: 'standing approval' }
      : undefined;
  const record = await store.insertApproval({
    id: randomUUID(),
    status: by ? 'approved' : 'pending',
    expiresAt: now + config.expiryMinutes * 60_000,
    agentId: req.agent.id,
    agentName: req.agent.name,
    door: req.door,
    database: req.database,
    sql: req.sql,
    params: req.params ?? null,
    binding: approvalBinding(key, summary.digest),
    requestKey: key,
    decision,
    preview: summary,
    requiredApprovals: required,
    approvals: by ? [by] : [],
    standingId: rule?.id ?? null,
  } satisfies NewApproval);
  deps.review.audit('approval.created', record, {
    requestId: req.requestId,
    data: { preview: previewForAudit(summary), tables, client: req.client },
  });
  if (rule) return approvedByStanding(deps, rule, record, decision, req.requestId);
  if (by) {
    deps.review.audit('approval.approved', record, { data: { reviewer: by.reviewer, reason: threshold.reason } });
    await deps.enqueue(record.id);
  } else {
    deps.notifier?.notify({ type: 'approval.pending', approval: deps.review.eventView(record) });
  }
  return { status: 'pending', decision, approvalId: record.id, reviewUrl: deps.review.reviewUrl(record.id), preview: summary };
}

/** The standing approval of this agent that approves this statement (its use counted), or null. */
async function standingFor(
  standing: StandingService,
  req: GatewayRequest,
  summary: PreviewSummary,
  tables: string[],
): Promise<StandingApproval | null> {
  const shape = await statementShape(req.sql);
  if (typeof shape === 'string') return null;
  return standing.use(
    { agentId: req.agent.id, kind: 'sql', database: req.database, match: shape.fingerprint },
    {
      params: req.params ?? [],
      literals: shape.literals,
      tables,
      rows_affected: summary.available ? summary.affectedRows : undefined,
      // only when the preview holds every row: a condition on a sample would judge rows it never saw
      rows: summary.available && !summary.truncated ? summary.rows : undefined,
    },
  );
}

/** Audit the rule's use and the approval it made, then run it for the waiting request. */
export async function approvedByStanding(
  deps: Pick<NewApprovalDeps, 'review' | 'standing' | 'runNow'>,
  rule: StandingApproval,
  record: ApprovalRecord,
  decision: Decision,
  requestId?: string,
): Promise<GatewayOutcome> {
  deps.standing.used(rule, record, requestId);
  deps.review.audit('approval.approved', record, { requestId, data: { reviewer: standingReviewer(rule.id), standing: rule.id } });
  return deps.runNow(record, decision);
}
