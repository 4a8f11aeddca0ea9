// A timeout SET above Airlock's cap runs at the cap: the policy marks such a SET (`clamp`) and lets
// it run, and the proxy sends the cap in its place. pg_dump, for one, starts with
// `SET statement_timeout = 0` and `SET idle_in_transaction_session_timeout = 0`.
import { frontendSerialize, queryMessage } from '../../protocol/index.js';
import type { Decision, StatementDecision } from '../domain/decision.js';

/**
 * The caps the proxy writes into a SET, by setting. statement_timeout is not among them: the
 * agent's statement-time cap (limits.statementTimeoutMs, timeout-watch.ts) ends a statement
 * whatever the session SETs, so that SET goes upstream as sent.
 */
export function clampCaps(upstream: { idleInTransactionTimeoutMs: number }): Readonly<Record<string, number>> {
  // 0 in the config means Airlock keeps no such limit: nothing to clamp to
  return upstream.idleInTransactionTimeoutMs > 0 ? { idle_in_transaction_session_timeout: upstream.idleInTransactionTimeoutMs } : {};
}

function capOf(s: StatementDecision, caps: Readonly<Record<string, number>>): number | null {
  const c = s.clamp;
  if (!c) return null;
  const cap = caps[c.setting];
  return cap !== undefined && (c.ms === 0 || c.ms > cap) ? cap : null;
}

/**
 * The text to send instead of an auto request that SETs a capped timeout above its cap, or null
 * (nearly always) to send the request as it came. The other statements are sent as the parser cut
 * them, one per line between semicolons (a line comment at the end of one cannot swallow the next).
 */
export function clampedText(d: Decision, caps: Readonly<Record<string, number>>): string | null {
  if (d.decision !== 'auto' || !d.statements.some((s) => capOf(s, caps) !== null)) return null;
  return d.statements
    .map((s) => {
      const cap = capOf(s, caps);
      return cap === null ? s.sql : `SET ${s.clamp!.local ? 'LOCAL ' : ''}${s.clamp!.setting} = ${cap}`;
    })
    .join('\n;\n');
}

/** A simple-query message with the clamped text, or null to forward the client's own. */
export function clampedQuery(d: Decision, caps: Readonly<Record<string, number>>): Buffer | null {
  const text = clampedText(d, caps);
  return text === null ? null : queryMessage(text);
}

/** A Parse message with the clamped text (same name and parameter types), or null. */
export function clampedParse(d: Decision, caps: Readonly<Record<string, number>>, name: string, paramTypes: number[]): Buffer | null {
  const text = clampedText(d, caps);
  return text === null ? null : Buffer.from(frontendSerialize.parse({ name, text, types: paramTypes }));
}
