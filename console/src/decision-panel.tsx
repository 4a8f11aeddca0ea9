// Approve or deny, with a comment and preset deny reasons; dual-approval progress with names.
// Keys: a goes to Approve, d to the deny reason, c to the comment (Enter on a button decides).
import { useState } from 'preact/hooks';
import { api, errorText, useSignedIn } from './api.js';
import { focusId, useKeys } from './keys.js';
import type { ApprovalView } from './types.js';

export function Votes(props: { approval: ApprovalView }) {
  const a = props.approval;
  const n = a.approvals.length;
  return (
    <div class="votes">
      <label for="vote-progress">
        {n} of {a.requiredApprovals} {a.requiredApprovals === 1 ? 'approval' : 'approvals'}
      </label>
      <progress id="vote-progress" value={n} max={a.requiredApprovals} />
      {n > 0 && (
        <ul>
          {a.approvals.map((v) => (
            <li key={v.reviewer}>
              approved by <strong>{v.reviewer}</strong> at {new Date(v.at).toLocaleTimeString()}
              {v.comment ? `: ${v.comment}` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function DecisionPanel(props: { approval: ApprovalView; now: number; onDecided: (a: ApprovalView, what: string) => void }) {
  const { session, settings } = useSignedIn();
  const a = props.approval;
  const [comment, setComment] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const voted = a.approvals.some((v) => v.reviewer === session.reviewer);
  const expired = a.expiresAt <= props.now;

  useKeys({ a: () => focusId('approve-button'), d: () => focusId('deny-reason'), c: () => focusId('decision-comment') });

  const decide = async (action: 'approve' | 'deny') => {
    setBusy(true);
    setError(null);
    const text = action === 'deny' ? [reason, comment.trim()].filter(Boolean).join(': ') : comment.trim();
    try {
      const r = await api<{ approval: ApprovalView }>(`/approvals/${encodeURIComponent(a.id)}/${action}`, {
        method: 'POST',
        body: text ? { comment: text } : {},
      });
      setComment('');
      setReason('');
      props.onDecided(r.approval, action === 'approve' ? 'approved' : 'denied');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="decide card" aria-labelledby="decide-title">
      <h2 id="decide-title">Decision</h2>
      <Votes approval={a} />
      {voted && <p class="notice">You approved this. Another reviewer must approve it too.</p>}
      {expired && <p class="warning">This approval has expired and can no longer be decided.</p>}
      <label for="decision-comment">Comment</label>
      <textarea id="decision-comment" rows={2} maxLength={4000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      <label for="deny-reason">Reason for denying</label>
      <select id="deny-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
        <option value="">(none, or write a comment)</option>
        {settings.denyReasons.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <p class="error" role="alert">
        {error ?? ''}
      </p>
      <div class="buttons">
        <button
          id="approve-button"
          type="button"
          class="approve"
          aria-keyshortcuts="a"
          disabled={busy || voted || expired}
          onClick={() => decide('approve')}
        >
          Approve
        </button>
        <button id="deny-button" type="button" class="deny" aria-keyshortcuts="d" disabled={busy || expired} onClick={() => decide('deny')}>
          Deny
        </button>
      </div>
    </section>
  );
}
