// Turn an approval record into what a front door reports back to the agent.
import type { ApprovalRecord } from '../domain/approval.js';
import type { GatewayOutcome, QueryResultData } from '../domain/request.js';
import type { Decision } from '../domain/decision.js';
import { AirlockError, SqlState, insufficientPrivilege, queryCanceled } from '../errors.js';

export function approvalOutcome(rec: ApprovalRecord, decision: Decision, reviewUrl: string, timedOut = false): GatewayOutcome {
  const id = rec.id;
  switch (rec.status) {
    case 'executed':
      return {
        status: 'executed',
        decision,
        approvalId: id,
        result: (rec.result as QueryResultData | null) ?? { command: 'EXECUTED', rowCount: null, fields: [], rows: [] },
      };
    case 'denied':
      return {
        status: 'denied',
        decision,
        approvalId: id,
        error: insufficientPrivilege(`approval ${id} denied by ${rec.deniedBy ?? 'a reviewer'}${rec.comment ? `: ${rec.comment}` : ''}`),
      };
    case 'expired':
      return { status: 'error', decision, approvalId: id, error: queryCanceled(`approval ${id} expired without a decision`) };
    case 'drifted':
      return {
        status: 'error',
        decision,
        approvalId: id,
        error: new AirlockError(
          `approval ${id} was not committed: ${rec.error ?? 'rows changed since the preview'} (drifted; ask again)`,
          SqlState.serializationFailure,
          409,
        ),
      };
    case 'failed':
      return {
        status: 'error',
        decision,
        approvalId: id,
        error: new AirlockError(`approval ${id} failed when executed: ${rec.error ?? 'unknown error'}`, SqlState.internalError, 500),
      };
    default:
      if (timedOut) {
        return {
          status: 'error',
          decision,
          approvalId: id,
          error: queryCanceled(
            `approval ${id} is still ${rec.status} after waiting; retry the identical statement after approval to run it once (${reviewUrl})`,
          ),
        };
      }
      return { status: 'pending', decision, approvalId: id, reviewUrl, preview: rec.preview ?? { available: false } };
  }
}
