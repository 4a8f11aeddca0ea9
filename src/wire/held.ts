// Ask tier on the wire: create (or reuse) an approval, tell the client with a NoticeResponse, then
// wait for the reviewer. Returns the executed result, or the ErrorResponse frame to send instead.
import type { GatewayOutcome, GatewayRequest, QueryResultData } from '../domain/request.js';
import type { Decision } from '../domain/decision.js';
import { asAirlockError, insufficientPrivilege, queryCanceled } from '../errors.js';
import type { GatewayPort } from '../gateway/port.js';
import { errorFrame, heldNotice } from './result-frames.js';

export type HeldResult = { ok: true; result: QueryResultData; approvalId?: string } | { ok: false; error: Buffer };

export interface HeldOptions {
  waitSeconds: number;
  signal: AbortSignal;
  /** writes the notice to the client right away */
  notice: (frame: Buffer) => void;
}

/** Runs the ask-tier flow for one statement (or one multi-statement string). */
export async function runHeld(gw: GatewayPort, req: GatewayRequest, decision: Decision, o: HeldOptions): Promise<HeldResult> {
  let outcome: GatewayOutcome;
  try {
    outcome = await gw.hold(req, decision);
    if (outcome.status === 'pending') {
      o.notice(heldNotice(outcome.approvalId, outcome.reviewUrl, outcome.preview, o.waitSeconds));
      if (o.signal.aborted)
        return { ok: false, error: errorFrame(queryCanceled(`canceling wait for approval ${outcome.approvalId} due to user request`)) };
      const approvalId = outcome.approvalId;
      outcome = await gw.awaitOutcome(approvalId, o.waitSeconds * 1000, o.signal);
      if (o.signal.aborted && outcome.status === 'pending') {
        return { ok: false, error: errorFrame(queryCanceled(`canceling wait for approval ${approvalId} due to user request`)) };
      }
    }
  } catch (err) {
    return { ok: false, error: errorFrame(asAirlockError(err)) };
  }
  switch (outcome.status) {
    case 'executed':
      return { ok: true, result: outcome.result, approvalId: outcome.approvalId };
    case 'pending':
      return {
        ok: false,
        error: errorFrame(queryCanceled(`approval ${outcome.approvalId} is still pending; retry the same statement after it is approved`)),
      };
    case 'denied':
    case 'blocked':
    case 'error':
      return { ok: false, error: errorFrame(outcome.error ?? insufficientPrivilege('refused')) };
  }
}
