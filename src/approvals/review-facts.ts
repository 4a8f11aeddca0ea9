// What a reviewer should notice about an approval before deciding: risk hints (many rows, no WHERE
// clause, a production target, no preview...), the changed cells of an UPDATE preview, the target,
// and the exact request of an API call. Pure: record and settings in, facts out. The WHERE check
// reads the libpg-query tree, never the text.
import type { ApprovalRecord } from '../domain/approval.js';
import { changedColumns } from '../domain/preview-diff.js';
import { globMatch } from '../domain/glob.js';
import { statementsOrReason } from './rewrite.js';
import type { T } from '../sql/tree.js';
import type { ApiRequestView, ReviewFacts, RiskHint } from '../domain/review.js';

export interface ReviewFactSettings {
  manyRowsThreshold: number;
  /** `*` wildcards, case-insensitive */
  productionTargets: readonly string[];
}

/** UPDATE and DELETE nodes anywhere in the trees (writable CTEs too) that have no WHERE clause. */
function unfilteredWrites(sql: string): string[] {
  const parsed = statementsOrReason(sql);
  if (typeof parsed === 'string') return [];
  const out: string[] = [];
  const stack: unknown[] = parsed.map((s) => ({ [s.node]: s.tree }));
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        const write = child as T.UpdateStmt | T.DeleteStmt | null;
        if ((key === 'UpdateStmt' || key === 'DeleteStmt') && write && !write.whereClause) {
          const rel = write.relation ?? {};
          out.push(`${key === 'UpdateStmt' ? 'UPDATE' : 'DELETE'} ${rel.schemaname ? `${rel.schemaname}.` : ''}${rel.relname ?? '?'}`);
        }
        stack.push(child);
      }
    }
  }
  return out;
}

/** The request an API-proxy approval carries, if it carries one in the expected shape. */
export function apiRequestOf(rec: ApprovalRecord): ApiRequestView | null {
  const r = rec.call?.request ?? (rec as unknown as { request?: unknown }).request;
  if (!r || typeof r !== 'object') return null;
  const { method, url, headers, body } = r as Record<string, unknown>;
  if (typeof method !== 'string' || typeof url !== 'string') return null;
  const h =
    headers && typeof headers === 'object' ? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])) : undefined;
  return { method, url, ...(h ? { headers: h } : {}), ...(body !== undefined ? { body } : {}) };
}

/** Risk hints, changed cells and target of one approval, for the console, Slack and the API. */
export function reviewFacts(rec: ApprovalRecord, settings: ReviewFactSettings, waiting = 0): ReviewFacts {
  const risks: RiskHint[] = [];
  const p = rec.preview;
  const statements = rec.decision?.statements ?? [];
  // an API call, whichever door it came through (the API proxy, an MCP integration tool, the CLI)
  const isApi = rec.call != null || rec.door === 'api';
  if (p?.available && p.affectedRows !== undefined && p.affectedRows > settings.manyRowsThreshold) {
    risks.push({ code: 'many-rows', level: 'high', text: `${p.affectedRows} rows change (more than ${settings.manyRowsThreshold})` });
  }
  if (!isApi) {
    for (const w of unfilteredWrites(rec.sql)) risks.push({ code: 'no-where', level: 'high', text: `${w} has no WHERE clause: every row` });
  }
  if (settings.productionTargets.some((g) => globMatch(g, rec.database))) {
    risks.push({ code: 'production', level: 'high', text: `${isApi ? 'integration' : 'database'} ${rec.database} is production` });
  }
  if (!isApi && !p?.available) risks.push({ code: 'no-preview', level: 'medium', text: p?.reason ?? 'no preview: the effect is unknown' });
  if (statements.length > 1)
    risks.push({ code: 'multi-statement', level: 'medium', text: `${statements.length} statements in one request` });
  if (statements.some((s) => ['ddl', 'code', 'privilege', 'drop'].includes(s.kind))) {
    risks.push({ code: 'schema-change', level: 'medium', text: 'changes the schema or code, not only rows' });
  }
  for (const f of new Set(statements.flatMap((s) => s.flags))) risks.push({ code: 'flag', level: 'low', text: f.replace(/-/g, ' ') });
  if (rec.requiredApprovals > 1) {
    risks.push({ code: 'dual-approval', level: 'low', text: `${rec.requiredApprovals} different reviewers must approve` });
  }
  const risk = risks.some((r) => r.level === 'high') ? 'high' : risks.some((r) => r.level === 'medium') ? 'medium' : 'low';
  return {
    risk,
    risks,
    target: { kind: isApi ? 'integration' : 'database', name: rec.database },
    kinds: [...new Set(statements.map((s) => s.kind))],
    tables: [...new Set(statements.flatMap((s) => s.tablesWritten))],
    changed: p?.before?.length ? changedColumns(p.before, p.rows) : [],
    request: isApi ? apiRequestOf(rec) : null,
    waiting,
  };
}
