// A new approval for an API call: the exact call (integration, method, canonical arguments and the
// request a reviewer sees) kept with it, bound to the call's key, the arguments shown as its preview.
// A standing approval of this agent for the same integration and method (its condition true on the
// arguments) approves it at once, unless the method asks for more than one reviewer.
import { randomUUID } from 'node:crypto';
import type { ApiCallSpec, PreviewSummary } from '../domain/approval.js';
import type { ApiCallRequest } from '../domain/api-call.js';
import type { Decision } from '../domain/decision.js';
import type { GatewayOutcome } from '../domain/request.js';
import type { ApprovalsConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { Notifier } from './webhook.js';
import type { ReviewService } from './review-service.js';
import { approvalBinding } from './binding.js';
import { standingReviewer } from './standing.js';
import { approvedByStanding, type NewApprovalDeps } from './sql-approval.js';

export interface CallApprovalDeps extends Pick<NewApprovalDeps, 'standing' | 'runNow'> {
  store: Store;
  config: ApprovalsConfig;
  notifier?: Notifier;
  review: ReviewService;
}

export async function createCallApproval(
  deps: CallApprovalDeps,
  req: ApiCallRequest,
  decision: Decision,
  spec: ApiCallSpec,
  key: string,
  requiredApprovals?: number,
): Promise<GatewayOutcome> {
  const preview: PreviewSummary = { available: true, rows: [spec.args] };
  const required = Math.max(requiredApprovals ?? 1, deps.config.requiredApprovals);
  const rule =
    required <= 1
      ? await deps.standing.use({ agentId: req.agent.id, kind: 'api', database: spec.integration, match: spec.method }, { args: spec.args })
      : null;
  const now = Date.now();
  const record = await deps.store.insertApproval({
    id: randomUUID(),
    status: rule ? 'approved' : 'pending',
    expiresAt: now + deps.config.expiryMinutes * 60_000,
    agentId: req.agent.id,
    agentName: req.agent.name,
    door: req.door,
    database: spec.integration,
    sql: `${spec.request.method} ${spec.request.url}`,
    binding: approvalBinding(key, undefined),
    requestKey: key,
    decision,
    preview,
    call: spec,
    requiredApprovals: required,
    approvals: rule ? [{ reviewer: standingReviewer(rule.id), at: now, comment: 'standing approval' }] : [],
    standingId: rule?.id ?? null,
  });
  deps.review.audit('approval.created', record, {
    requestId: req.requestId,
    data: { integration: spec.integration, method: spec.method, request: spec.request },
  });
  if (rule) return approvedByStanding(deps, rule, record, decision, req.requestId);
  deps.notifier?.notify({ type: 'approval.pending', approval: deps.review.eventView(record) });
  return { status: 'pending', decision, approvalId: record.id, reviewUrl: deps.review.reviewUrl(record.id), preview };
}
