// Facts about a classified statement that the session acts on (never used to allow anything:
// only to pin a session, pick a clearer error, or describe a held statement).
import { featureNotSupported } from '../errors.js';
import type { Decision } from '../domain/decision.js';

const SESSION_KINDS = new Set(['set', 'session', 'notify']);

/** Statements that leave state on the server session, so the client must keep that server. */
export function leavesSessionState(d: Decision): boolean {
  for (const s of d.statements) {
    if (SESSION_KINDS.has(s.kind)) return true;
    if (s.functions.some((f) => f === 'set_config' || f.endsWith('.set_config'))) return true;
  }
  return false;
}

/**
 * An auto request on its way upstream: the session's SQL-level prepared statements as the server
 * will hold them (PREPARE adds its text, DEALLOCATE removes), so the policy can decide an EXECUTE by
 * the statement it runs. A PREPARE pins the session's server, so the names stay true.
 */
export function trackPrepared(d: Decision, prepared: Map<string, string>): void {
  for (const s of d.statements) {
    if (s.prepared === undefined) continue;
    if (s.node === 'PrepareStmt') prepared.set(s.prepared, s.sql);
    else if (s.node === 'DeallocateStmt' && s.prepared === '*') prepared.clear();
    else if (s.node === 'DeallocateStmt') prepared.delete(s.prepared);
  }
}

/** COPY ... FROM STDIN: the data arrives after the statement, so it can not be previewed or held. */
export const copiesFromClient = (d: Decision) => d.statements.some((s) => s.kind === 'copy' && /\bfrom\s+stdin\b/i.test(s.sql));
export const copyInNotHeld = () =>
  featureNotSupported(
    'COPY FROM STDIN needs approval, and a held statement can not stream data over the wire; use INSERT statements (they are held for approval) instead',
  );

/** Only whitespace, comments or semicolons: PostgreSQL answers EmptyQueryResponse, nothing runs. */
export const isEmpty = (d: Decision) => d.rule === 'empty' && d.statements.length === 0;

/** Parameter types for a held statement: declared ones, else text for each $n in the SQL. */
export function paramTypesOf(stmt: { sql: string; paramTypes: number[] }): number[] {
  let max = stmt.paramTypes.length;
  for (const m of stmt.sql.matchAll(/\$(\d{1,5})(?!\d)/g)) max = Math.max(max, Number(m[1]));
  max = Math.min(max, 65535); // the protocol's limit; a huge $n must not make the proxy loop
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(stmt.paramTypes[i] || 25);
  return out;
}
