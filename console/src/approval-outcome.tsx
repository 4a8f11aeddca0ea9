// After the decision: what happened (executed with its result, denied, expired, drifted, failed),
// who decided when, and the approval's whole history from the audit trail.
import type { ApprovalView, AuditEvent } from './types.js';
import { cellText, dateTime, isoTime, rows } from './format.js';

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** One audit event of this approval as a sentence. */
export function eventText(e: AuditEvent): string {
  const d = e.data;
  const who = str(d.reviewer);
  switch (e.type) {
    case 'approval.created':
      return `${e.agent ?? 'an agent'} asked via ${e.door ?? '?'}; held by rule ${e.rule ?? '?'}`;
    case 'approval.voted':
      return `${who} approved (${str(d.votes)} of ${str(d.required)})${d.comment ? `: ${str(d.comment)}` : ''}`;
    case 'approval.approved':
      return `approved by ${who}${d.comment ? `: ${str(d.comment)}` : d.reason ? `: ${str(d.reason)}` : ''}`;
    case 'approval.denied':
      return `denied by ${who}${d.comment ? `: ${str(d.comment)}` : ''}`;
    case 'approval.expired':
      return 'expired without a decision';
    case 'approval.grant-used':
      return 'the agent received the result';
    case 'execution.started':
      return 'execution started';
    case 'execution.executed':
      return `executed${d.rowCount !== undefined && d.rowCount !== null ? `: ${rows(Number(d.rowCount))}` : ''}`;
    case 'execution.failed':
      return `execution failed: ${str(d.error)}`;
    case 'execution.drifted':
      return `not committed, drifted: ${str(d.error)}`;
    default:
      return e.type;
  }
}

function decidedAt(history: AuditEvent[], type: string): number | undefined {
  return history.filter((e) => e.type === type).at(-1)?.ts;
}

function ResultRows(props: { result: unknown }) {
  const r = props.result as { command?: string; rowCount?: number | null; rows?: Record<string, unknown>[] } | null;
  if (!r || typeof r !== 'object') return null;
  const list = Array.isArray(r.rows) ? r.rows.slice(0, 20) : [];
  const cols = list.length ? Object.keys(list[0]) : [];
  return (
    <div>
      <p>
        {r.command ?? 'Executed'}
        {typeof r.rowCount === 'number' ? ` · ${rows(r.rowCount)}` : ''}
      </p>
      {list.length > 0 && (
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Returned rows">
          <table class="rows">
            <caption>Returned rows</caption>
            <thead>
              <tr>
                {cols.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {list.map((row, i) => (
                <tr key={i}>
                  {cols.map((c) => (
                    <td key={c}>{cellText(row[c])}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function Outcome(props: { approval: ApprovalView; history: AuditEvent[] }) {
  const a = props.approval;
  const h = props.history;
  const at = (t: number | undefined) => (t ? ` at ${dateTime(t)}` : '');
  let text: string | null = null;
  if (a.status === 'denied')
    text = `Denied by ${a.deniedBy ?? 'a reviewer'}${at(decidedAt(h, 'approval.denied') ?? a.updatedAt)}${a.comment ? `: ${a.comment}` : ''}`;
  else if (a.status === 'expired') text = `Expired${at(decidedAt(h, 'approval.expired') ?? a.expiresAt)} without a decision`;
  else if (a.status === 'approved' || a.status === 'executing')
    text = `Approved by ${a.approvals.map((v) => v.reviewer).join(' and ')}; executing…`;
  else if (a.status === 'executed')
    text = `Executed${at(decidedAt(h, 'execution.executed'))} after approval by ${a.approvals.map((v) => v.reviewer).join(' and ')}`;
  else if (a.status === 'drifted')
    text = `Not committed${at(decidedAt(h, 'execution.drifted'))}: ${a.error ?? 'rows changed since the preview'}`;
  else if (a.status === 'failed') text = `Failed${at(decidedAt(h, 'execution.failed'))}: ${a.error ?? 'unknown error'}`;
  return (
    <section aria-labelledby="outcome-title">
      <h2 id="outcome-title">Outcome</h2>
      {text && <p class={`outcome outcome-${a.status}`}>{text}</p>}
      {a.status === 'executed' && <ResultRows result={a.result} />}
      {a.grantUsedAt !== null && <p class="outcome-received">The agent received the result at {dateTime(a.grantUsedAt)}.</p>}
      <h3>History</h3>
      <ol class="timeline">
        {h.map((e) => (
          <li key={e.seq}>
            <time dateTime={isoTime(e.ts)}>{dateTime(e.ts)}</time> {eventText(e)}
          </li>
        ))}
      </ol>
    </section>
  );
}
