// The Slack message of an approval: who asks, the exact SQL (or API request), the change in brief
// (changed cells as "old → new"), risk hints and expiry, with Approve/Deny buttons while it is
// pending and the outcome afterwards. Pure: record and facts in, Block Kit out.
import type { ApprovalRecord } from '../domain/approval.js';
import type { ReviewFacts } from '../domain/review.js';
import { cellText } from '../domain/preview-diff.js';
import { esc, sqlBlockText } from '../domain/slack-text.js';

export const ACTION_APPROVE = 'airlock_approve';
export const ACTION_DENY = 'airlock_deny';

/** Block Kit JSON (shapes per https://api.slack.com/block-kit); Slack validates it. */
type Block = { type: string; [key: string]: unknown };

const OUTCOME: Record<string, string> = {
  approved: ':white_check_mark: Approved, executing',
  executing: ':white_check_mark: Approved, executing',
  executed: ':rocket: Executed',
  denied: ':no_entry: Denied',
  expired: ':alarm_clock: Expired without a decision',
  failed: ':x: Execution failed',
  drifted: ':warning: Not committed: rows changed since the preview',
};

const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const time = (ms: number) => `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;

/** Up to five changed rows as `col: old → new`, so the diff can be judged in the channel. */
function changeLines(rec: ApprovalRecord, facts: ReviewFacts): string[] {
  const p = rec.preview;
  if (!p?.available) return [`*Preview unavailable:* ${esc(p?.reason ?? 'unknown reason')}`];
  const lines = [`*${p.affectedRows ?? '?'} row(s)* would change`];
  facts.changed.slice(0, 5).forEach((cols, i) => {
    const before = p.before?.[i] ?? {};
    const after = p.rows?.[i] ?? {};
    const parts = cols.map((c) => `${esc(c)}: ${esc(short(cellText(before[c]), 40))} → ${esc(short(cellText(after[c]), 40))}`);
    if (parts.length) lines.push(`• ${parts.join(', ')}`);
  });
  if (facts.changed.length > 5) lines.push(`… and ${facts.changed.length - 5} more in the console`);
  return lines;
}

function statusLine(rec: ApprovalRecord): string {
  if (rec.status === 'pending') {
    const votes = rec.approvals.map((v) => esc(v.reviewer)).join(', ');
    return `:hourglass_flowing_sand: Waiting for review · ${rec.approvals.length} of ${rec.requiredApprovals} approvals${votes ? ` (${votes})` : ''} · expires ${time(rec.expiresAt)}`;
  }
  const by =
    rec.status === 'denied'
      ? ` by *${esc(rec.deniedBy ?? 'a reviewer')}*${rec.comment ? `: ${esc(rec.comment)}` : ''}`
      : rec.approvals.length
        ? ` · approved by *${rec.approvals.map((v) => esc(v.reviewer)).join('* and *')}*`
        : '';
  const error = rec.error && ['failed', 'drifted'].includes(rec.status) ? `\n${esc(short(rec.error, 500))}` : '';
  return `${OUTCOME[rec.status] ?? rec.status}${by} · ${time(rec.updatedAt)}${error}`;
}

/** The fallback text (notifications, screen readers) and the blocks of an approval's message. */
export function approvalMessage(rec: ApprovalRecord, facts: ReviewFacts, reviewUrl: string): { text: string; blocks: Block[] } {
  const target = `${facts.target.kind} *${esc(facts.target.name)}*`;
  const what = facts.request ? sqlBlockText(`${facts.request.method} ${facts.request.url}`) : sqlBlockText(rec.sql);
  const rule = rec.decision ? `rule \`${esc(rec.decision.rule)}\`: ${esc(rec.decision.reason)}` : '';
  const risks = facts.risks.map(
    (r) => `${r.level === 'high' ? ':red_circle:' : r.level === 'medium' ? ':large_orange_circle:' : ':white_circle:'} ${esc(r.text)}`,
  );
  const blocks: Block[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*${esc(rec.agentName)}* wants to change ${target} (via ${esc(rec.door)})\n${rule}` },
    },
    { type: 'section', text: { type: 'mrkdwn', text: what } },
    { type: 'section', text: { type: 'mrkdwn', text: [...(facts.request ? [] : changeLines(rec, facts)), ...risks].join('\n') || ' ' } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: statusLine(rec) }] },
  ];
  const open = { type: 'button', text: { type: 'plain_text', text: 'Open in console' }, url: reviewUrl, action_id: 'airlock_open' };
  if (rec.status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: `airlock_${rec.id}`,
      elements: [
        { type: 'button', style: 'primary', text: { type: 'plain_text', text: 'Approve' }, action_id: ACTION_APPROVE, value: rec.id },
        {
          type: 'button',
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          action_id: ACTION_DENY,
          value: rec.id,
          confirm: {
            title: { type: 'plain_text', text: 'Deny this request?' },
            text: { type: 'mrkdwn', text: 'The agent gets an error. Open the console to give a reason.' },
            confirm: { type: 'plain_text', text: 'Deny' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        open,
      ],
    });
  } else blocks.push({ type: 'actions', elements: [open] });
  const text = `${rec.status === 'pending' ? 'Approval needed' : (OUTCOME[rec.status] ?? rec.status).replace(/^:[a-z_]+: /, '')}: ${rec.agentName} on ${facts.target.name} ${reviewUrl}`;
  return { text, blocks };
}
