// A new approval for an API call: the exact call (integration, method, canonical arguments and the
// request a reviewer sees) kept with it, bound to the call's key, the arguments shown as its preview.
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

export interface CallApprovalDeps {
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
  const record = await deps.store.insertApproval({
    id: randomUUID(),
    status: 'pending',
    expiresAt: Date.now() + deps.config.expiryMinutes * 60_000,
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
    requiredApprovals: Math.max(requiredApprovals ?? 1, deps.config.requiredApprovals),
  });
  deps.review.audit('approval.created', record, {
    requestId: req.requestId,
    data: { integration: spec.integration, method: spec.method, request: spec.request },
  });
  deps.notifier?.notify({ type: 'approval.pending', approval: deps.review.eventView(record) });
  return { status: 'pending', decision, approvalId: record.id, reviewUrl: deps.review.reviewUrl(record.id), preview };
}
