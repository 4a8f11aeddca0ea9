// Who may approve or deny what: valid ids, open approvals only, no self-approval, one vote each.
import { invalidParameterValue, insufficientPrivilege, notInPrerequisiteState } from '../errors.js';
import type { ApprovalRecord } from '../domain/approval.js';
import type { ApprovalsConfig } from '../config/schema.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function validateApprovalId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !UUID.test(id))
    throw invalidParameterValue(`malformed approval id ${JSON.stringify(String(id).slice(0, 80))}: expected a UUID`);
}

export function checkReviewerAction(rec: ApprovalRecord, reviewer: string, config: ApprovalsConfig, action: 'approve' | 'deny'): void {
  if (!reviewer || typeof reviewer !== 'string') throw invalidParameterValue('a reviewer name is required');
  if (rec.status !== 'pending')
    throw notInPrerequisiteState(
      `approval ${rec.id} is ${rec.status}, not pending: it cannot be ${action === 'approve' ? 'approved' : 'denied'}`,
    );
  if (action === 'approve' && !config.allowSelfApproval && reviewer === rec.agentName) {
    throw insufficientPrivilege(`${reviewer} requested approval ${rec.id} and cannot approve it (no self-approval)`);
  }
  if (action === 'approve' && rec.approvals.some((v) => v.reviewer === reviewer)) {
    throw notInPrerequisiteState(`${reviewer} already approved ${rec.id}; another reviewer must approve it`);
  }
}
