// Text rendering of approvals for the CLI: one line per approval, or the full review view.
import type { ApprovalRecord } from '../domain/approval.js';
import { cellChanged, cellText as cell } from '../domain/preview-diff.js';
import { standingState, type StandingApproval } from '../domain/standing.js';

/** A plain text table of rows (columns from the first row). */
export function textTable(rows: Record<string, unknown>[], mark?: (row: Record<string, unknown>, col: string) => boolean): string {
  if (rows.length === 0) return '  (none)';
  const cols = Object.keys(rows[0]);
  const data = rows.map((r) => cols.map((c) => cell(r[c]).replace(/\s+/g, ' ').slice(0, 60) + (mark?.(r, c) ? ' *' : '')));
  const widths = cols.map((c, i) => Math.max(c.length, ...data.map((d) => d[i].length)));
  const line = (vals: string[]) => `  ${vals.map((v, i) => v.padEnd(widths[i])).join(' | ')}`;
  return [line(cols), `  ${widths.map((w) => '-'.repeat(w)).join('-+-')}`, ...data.map(line)].join('\n');
}

export function renderApprovalLine(r: ApprovalRecord): string {
  const rows = r.call ? `${r.call.integration}.${r.call.method}` : r.preview?.available ? `${r.preview.affectedRows} rows` : 'no preview';
  const sql = r.sql.replace(/\s+/g, ' ');
  return `${r.id}  ${r.status.padEnd(9)} ${r.agentName}@${r.database}  ${rows}  ${sql.length > 60 ? `${sql.slice(0, 57)}...` : sql}`;
}

/** The body of an API-call approval: the method, its exact arguments and the request that will be sent. */
function renderCall(call: NonNullable<ApprovalRecord['call']>): string[] {
  const indent = (v: unknown) =>
    JSON.stringify(v, null, 2)
      .split('\n')
      .map((l) => `  ${l}`);
  const lines = ['API call:', `  ${call.integration}.${call.method}`, '', 'Arguments (exactly these are sent):', ...indent(call.args)];
  lines.push('', 'Request (credentials are added by Airlock):', `  ${call.request.method} ${call.request.url}`);
  if (call.request.body !== undefined) lines.push(...indent(call.request.body));
  return lines;
}

function header(r: ApprovalRecord, url: string, target: string): string[] {
  return [
    `Approval ${r.id}  [${r.status}]`,
    `  agent ${r.agentName} · ${target} · via ${r.door} · created ${new Date(r.createdAt).toISOString()} · expires ${new Date(r.expiresAt).toISOString()}`,
    `  approvals ${r.approvals.length}/${r.requiredApprovals}${r.approvals.length ? ` (${r.approvals.map((a) => a.reviewer).join(', ')})` : ''}${r.deniedBy ? ` · denied by ${r.deniedBy}` : ''}${r.comment ? ` · "${r.comment}"` : ''}`,
    ...(r.standingId ? [`  approved by standing approval ${r.standingId} (airlock standing list --all)`] : []),
    ...(r.revertOf ? [`  revert of approval ${r.revertOf}: runs only while its rows are as that execution left them`] : []),
    `  review ${url}`,
    '',
  ];
}

export function renderApproval(r: ApprovalRecord, url: string): string {
  const p = r.preview;
  if (r.call) {
    const lines = [...header(r, url, `integration ${r.call.integration}`), ...renderCall(r.call)];
    if (r.error) lines.push('', `Error: ${r.error}`);
    if (r.result && r.status === 'executed') lines.push('', `Response: ${JSON.stringify(r.result).slice(0, 500)}`);
    return lines.join('\n');
  }
  const lines = [...header(r, url, `database ${r.database}`), 'SQL:', ...r.sql.split('\n').map((l) => `  ${l}`)];
  if (r.params?.length) lines.push(`  params: ${JSON.stringify(r.params)}`);
  lines.push('');
  if (!p || !p.available) lines.push(p?.reason ?? 'preview unavailable');
  else {
    lines.push(`Preview: ${p.affectedRows} row(s) affected${p.truncated ? ` (showing ${p.rows?.length ?? 0})` : ''}`);
    if (p.before?.length) {
      const before = p.before;
      lines.push('Before:', textTable(before));
      // mark changed cells of the after-image by position (rows are paired by primary key in the preview)
      lines.push(
        'After (* = changed):',
        textTable(p.rows ?? [], (row, col) => cellChanged(before, row, (p.rows ?? []).indexOf(row), col)),
      );
    } else if (p.rows?.length) lines.push('Rows:', textTable(p.rows));
  }
  if (r.error) lines.push('', `Error: ${r.error}`);
  if (r.result && r.status === 'executed') lines.push('', `Result: ${JSON.stringify(r.result).slice(0, 500)}`);
  return lines.join('\n');
}

const iso = (ms: number) => new Date(ms).toISOString();

/** One standing approval, a few lines. */
export function renderStanding(s: StandingApproval): string {
  const what = s.kind === 'api' ? `${s.database}.${s.match}` : `${s.database}: statements shaped like`;
  const example = s.example.replace(/\s+/g, ' ');
  return [
    `${s.id}  [${standingState(s)}]  agent ${s.agentName}  by ${s.createdBy} ${iso(s.createdAt)}  from ${s.sourceApprovalId}`,
    `  ${what} ${s.kind === 'api' ? `(${example.slice(0, 100)})` : example.length > 100 ? `${example.slice(0, 97)}...` : example}`,
    `  uses ${s.uses}${s.maxUses !== null ? `/${s.maxUses}` : ''}${s.expiresAt !== null ? ` · expires ${iso(s.expiresAt)}` : ''}${s.condition ? ` · when ${s.condition}` : ''}${s.revokedAt !== null ? ` · revoked by ${s.revokedBy} ${iso(s.revokedAt)}` : ''}`,
  ].join('\n');
}
