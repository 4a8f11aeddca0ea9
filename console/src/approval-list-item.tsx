// One approval in the list: who asks, through which door, against what, why it was held, how much
// it changes, how old it is and how long until it expires, and whether a client still waits.
import type { ApprovalView } from './types.js';
import { ago, countdown, isoTime, rows } from './format.js';
import { Link } from './router.js';
import { DoorBadge, RiskBadge, RuleLine, StatusBadge, Target, WaitingBadge } from './risk.js';

/** The first line of the SQL (or the API request), shortened for the list. */
function summary(a: ApprovalView): string {
  const req = a.facts.request;
  const text = req ? `${req.method} ${req.url}` : a.sql;
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 140 ? `${line.slice(0, 137)}…` : line;
}

function effect(a: ApprovalView): string {
  const p = a.preview;
  if (a.facts.request) return 'API call';
  if (!p?.available) return 'no preview';
  return p.affectedRows === undefined ? 'rows unknown' : rows(p.affectedRows);
}

export function ApprovalListItem(props: { approval: ApprovalView; now: number; selected: boolean }) {
  const a = props.approval;
  const open = a.status === 'pending';
  return (
    <li class={`item${props.selected ? ' selected' : ''}`} aria-current={props.selected ? 'true' : undefined} data-id={a.id}>
      <div class="item-head">
        <Link href={`/approvals/${a.id}`} class="item-link">
          <strong class="agent">{a.agentName}</strong>
        </Link>
        <DoorBadge door={a.door} />
        <Target approval={a} />
        <StatusBadge status={a.status} />
        <RiskBadge level={a.facts.risk} />
      </div>
      <code class="item-sql">{summary(a)}</code>
      <div class="item-meta">
        <RuleLine approval={a} />
        <span>{effect(a)}</span>
        <span>
          asked <time dateTime={isoTime(a.createdAt)}>{ago(a.createdAt, props.now)}</time>
        </span>
        {open && (
          <span class="countdown">
            expires in <time dateTime={isoTime(a.expiresAt)}>{countdown(a.expiresAt, props.now)}</time>
          </span>
        )}
        {a.requiredApprovals > 1 && open && (
          <span>
            {a.approvals.length} of {a.requiredApprovals} approvals
          </span>
        )}
        <WaitingBadge approval={a} />
      </div>
    </li>
  );
}
