// Gateway outcomes → MCP tool results: structured content for programs, a short text for the
// model, rows fenced as untrusted data, and isError for refusals so the model sees a failure.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayOutcome, QueryResultData } from '../domain/request.js';
import type { PreviewSummary, ApprovalStatus } from '../domain/approval.js';
import type { AirlockError } from '../errors.js';
import type { ResultCap } from '../domain/limits.js';
import type { StatementOutput } from './schemas.js';
import { columnsOf, plural, textTable, untrusted } from './format.js';

// refusals about the text itself (unparseable, too large, empty) rather than about what it does
const UNREADABLE_RULES = new Set(['parse-error', 'empty']);

export interface ResultContext {
  database: string;
  maxRows: number;
  /** the configured upper bound of max_rows, for the truncation hint */
  rowCap: number;
  maxTextChars: number;
  /** the stored status of the approval, when known (approval_status) */
  approvalStatus?: ApprovalStatus;
}

/** A plain failure the model can read (bad input, unknown approval, ...). */
export function errorResult(error: AirlockError | { code: string; message: string }, structured?: Record<string, unknown>): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `Error ${error.code}: ${error.message}` }],
    ...(structured ? { structuredContent: structured } : {}),
  };
}

/** Shared by query and approval_status. */
export function statementResult(outcome: GatewayOutcome, ctx: ResultContext): CallToolResult {
  const d = outcome.decision;
  const base: StatementOutput = {
    status: outcome.status,
    database: ctx.database,
    ...(d ? { decision: d.decision, rule: d.rule, reason: d.reason } : {}),
    ...('approvalId' in outcome && outcome.approvalId ? { approval_id: outcome.approvalId } : {}),
    ...(ctx.approvalStatus ? { approval_status: ctx.approvalStatus } : {}),
  };
  switch (outcome.status) {
    case 'executed':
      return executed(base, outcome.result, ctx);
    case 'pending':
      return pending(base, outcome.reviewUrl, outcome.preview, ctx);
    case 'blocked': {
      const why = d ? `rule ${d.rule}: ${d.reason}` : outcome.error.message;
      const text =
        d && UNREADABLE_RULES.has(d.rule)
          ? `Refused (SQLSTATE ${outcome.error.code}) by ${why}. Nothing was executed. Fix the SQL text and send it again.`
          : `Blocked (SQLSTATE ${outcome.error.code}) by ${why}. Nothing was executed. This statement is not allowed through Airlock: do not rephrase it to get around the rule; ask the user if it is really needed.`;
      return refusal(base, outcome.error, text);
    }
    case 'denied':
      return refusal(base, outcome.error, `Denied (SQLSTATE ${outcome.error.code}): ${outcome.error.message}. Nothing was executed.`);
    default:
      return refusal(base, outcome.error, `Error ${outcome.error.code}: ${outcome.error.message}`);
  }
}

function refusal(base: StatementOutput, error: AirlockError, text: string): CallToolResult {
  const structured: StatementOutput = { ...base, error: { code: error.code, message: error.message } };
  return { isError: true, content: [{ type: 'text', text }], structuredContent: structured };
}

function executed(base: StatementOutput, result: QueryResultData, ctx: ResultContext): CallToolResult {
  const all = result.rows ?? [];
  const rows = all.length > ctx.maxRows ? all.slice(0, ctx.maxRows) : all;
  const columns = columnsOf(rows, result.fields);
  const hasRows = columns.length > 0;
  const total = result.rowCount ?? rows.length;
  const truncated = (hasRows && total > rows.length) || result.cap !== undefined;
  const capped = result.cap ? { cap: result.cap, note: capNote(result.cap) } : {};
  const structured: StatementOutput = { ...base, command: result.command, row_count: result.rowCount, columns, rows, truncated, ...capped };
  const via = base.approval_id ? `after approval ${base.approval_id}` : `auto, rule ${base.rule ?? '?'}`;
  const head = hasRows
    ? `Executed (${via}): ${result.command}, ${plural(total, 'row')}${truncated ? `; showing the first ${rows.length}` : ''}.`
    : `Executed (${via}): ${result.command}${result.rowCount === null ? '' : `, ${plural(result.rowCount, 'row')} affected`}.`;
  const parts = [head];
  if (result.cap) parts.push(capNote(result.cap));
  else if (truncated) {
    parts.push(
      `Result truncated to ${rows.length} rows (max_rows ${ctx.maxRows}, at most ${ctx.rowCap}); narrow the query with WHERE / LIMIT / aggregates to see the rest.`,
    );
  }
  if (hasRows) {
    const table = textTable(columns, rows, ctx.maxTextChars);
    if (table.shown < rows.length)
      parts.push(
        `The text table shows ${table.shown} of ${rows.length} returned rows (text size limit); all returned rows are in the structured content.`,
      );
    parts.push(untrusted(table.text));
  }
  return { content: [{ type: 'text', text: parts.join('\n') }], structuredContent: structured };
}

/** What an agent's cap did to its result, and that asking for more does not help. */
function capNote(cap: ResultCap): string {
  const what = cap.limit === 'maxRows' ? `${plural(cap.value, 'row')}` : `${cap.value} bytes of row data`;
  return `Result capped at ${what} by this agent's limit ${cap.limit}; max_rows, LIMIT or SET cannot raise it. Narrow the query with WHERE / aggregates, or fetch the rest in smaller pieces.`;
}

function pending(base: StatementOutput, reviewUrl: string, p: PreviewSummary, ctx: ResultContext): CallToolResult {
  const preview = {
    available: p.available,
    ...(p.reason ? { reason: p.reason } : {}),
    ...(p.affectedRows !== undefined ? { affected_rows: p.affectedRows } : {}),
    ...(p.rows ? { rows: p.rows.slice(0, ctx.maxRows) } : {}),
    ...(p.before ? { before: p.before.slice(0, ctx.maxRows) } : {}),
    ...(p.truncated !== undefined ? { truncated: p.truncated } : {}),
  };
  const status = base.approval_status && base.approval_status !== 'pending' ? ` (${base.approval_status})` : '';
  const structured: StatementOutput = {
    ...base,
    review_url: reviewUrl,
    preview,
    note: 'Held for human approval; nothing has been committed. Poll approval_status with approval_id, or re-send the identical SQL after approval to get its result once.',
  };
  const parts = [
    `Pending approval${status}: held by rule ${base.rule ?? '?'} (${base.reason ?? 'needs review'}). Nothing has been committed.`,
    `approval_id: ${base.approval_id}`,
    `review_url: ${reviewUrl}`,
    `Tell the user a reviewer must approve it; then call approval_status with this approval_id (wait_seconds to long-poll), or re-send the identical SQL to get the result once.`,
  ];
  if (!p.available) parts.push(p.reason ?? 'preview unavailable');
  else {
    parts.push(
      `Preview (dry run, rolled back): ${plural(p.affectedRows ?? 0, 'row')} would be affected${p.truncated ? '; sample below' : ''}.`,
    );
    for (const [label, sample] of [
      ['rows after the change', preview.rows],
      ['rows before the change', preview.before],
    ] as const) {
      if (!sample?.length) continue;
      parts.push(`${label}:`, untrusted(textTable(columnsOf(sample), sample, ctx.maxTextChars).text));
    }
  }
  return { content: [{ type: 'text', text: parts.join('\n') }], structuredContent: structured };
}
