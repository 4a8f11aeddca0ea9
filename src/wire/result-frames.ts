// Encodes a gateway result (an approved statement the gateway executed) as PostgreSQL frames,
// and a gateway error or decision as ErrorResponse / NoticeResponse.
import { commandComplete, dataRow, errorResponse, noticeResponse, rowDescription } from '../../protocol/index.js';
import type { AirlockError } from '../errors.js';
import type { QueryResultData } from '../domain/request.js';
import type { PreviewSummary } from '../domain/approval.js';
import type { Decision } from '../domain/decision.js';

/** Text form of a value as node-postgres parsed it, close to what PostgreSQL would print. */
export function toPgText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return '\\x' + v.toString('hex');
  if (Array.isArray(v)) return '{' + v.map((x) => arrayItem(x)).join(',') + '}';
  return JSON.stringify(v);
}

function arrayItem(v: unknown): string {
  const t = toPgText(v);
  if (t === null) return 'NULL';
  if (Array.isArray(v)) return t;
  return /^[^{}",\\\s]+$/.test(t) && t.toUpperCase() !== 'NULL' ? t : '"' + t.replace(/(["\\])/g, '\\$1') + '"';
}

/** CommandComplete tag as PostgreSQL writes it. */
export function commandTag(r: QueryResultData): string {
  const cmd = (r.command || 'SELECT').toUpperCase();
  const n = r.rowCount ?? r.rows.length;
  if (cmd === 'INSERT') return `INSERT 0 ${n}`;
  if (['SELECT', 'UPDATE', 'DELETE', 'MERGE', 'COPY', 'FETCH', 'MOVE'].includes(cmd)) return `${cmd} ${n}`;
  return cmd;
}

/** RowDescription (when the result has columns), DataRows, the notice of a cap that cut them, and CommandComplete. */
export function resultFrames(r: QueryResultData, withDescription: boolean): Buffer[] {
  const out: Buffer[] = [];
  if (withDescription && r.fields.length > 0) out.push(rowDescription(r.fields));
  for (const row of r.rows) out.push(dataRow(r.fields.map((f) => toPgText(row[f.name]))));
  if (r.cap) out.push(capNotice(r.cap.limit, r.cap.value, r.rows.length));
  out.push(commandComplete(commandTag(r)));
  return out;
}

export function errorFrame(e: AirlockError, fatal = false): Buffer {
  return errorResponse({ severity: fatal ? 'FATAL' : 'ERROR', code: e.code, message: e.message, detail: e.detail });
}

/** Block tier: 42501 naming the rule and the reason. */
export function blockedFrame(d: Decision): Buffer {
  return errorResponse({
    code: '42501',
    message: `Airlock blocked this statement: ${d.reason}`,
    detail: `rule: ${d.rule}`,
    hint: 'This statement is not allowed for agents by the Airlock policy.',
  });
}

/** The notice a held client sees while it waits for a reviewer. */
export function heldNotice(approvalId: string, reviewUrl: string, preview: PreviewSummary, waitSeconds: number): Buffer {
  const parts: string[] = [];
  if (preview.available) {
    if (preview.affectedRows !== undefined) parts.push(`preview: ${preview.affectedRows} row(s) affected`);
  } else {
    parts.push(preview.reason ?? 'preview unavailable');
  }
  return noticeResponse({
    code: '01000',
    message: `Airlock: statement held for approval ${approvalId}`,
    detail: parts.join('; ') || undefined,
    hint: `Review at ${reviewUrl}; waiting up to ${waitSeconds} s for a decision.`,
  });
}

/** A result cut short by the agent's cap: sent before its CommandComplete (which keeps the server's count). */
export function capNotice(limit: 'maxRows' | 'maxResultBytes', value: number, sent: number): Buffer {
  const what = limit === 'maxRows' ? `${value} rows` : `${value} bytes of row data (${sent} rows)`;
  return noticeResponse({
    severity: 'WARNING',
    code: '01000',
    message: `Airlock: result capped at ${what} by the agent's limit ${limit}; the remaining rows were not sent`,
    hint: 'LIMIT or SET cannot raise this limit; narrow the query, or fetch the rest in smaller pieces.',
  });
}

/** The statement outran the agent's statement-time cap (a SET statement_timeout cannot lift it): it is canceled. */
export function timeoutNotice(capMs: number): Buffer {
  return noticeResponse({
    severity: 'WARNING',
    code: '01000',
    message: `Airlock: canceling the statement: it ran longer than the agent's limit statementTimeoutMs (${capMs} ms)`,
    hint: 'SET statement_timeout cannot raise this limit.',
  });
}
