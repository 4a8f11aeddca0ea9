// One audit event: a line to scan (time, type, who, where, what) that opens into its full detail
// (data, hashes); and the chain's verification status.
import type { AuditEvent, VerifyResult } from './types.js';
import { dateTime, isoTime } from './format.js';
import { Link } from './router.js';
import { eventText } from './approval-outcome.js';

/** The most telling words of an event for the one-line view. */
function gist(e: AuditEvent): string {
  const d = e.data;
  if (e.type === 'decision') return typeof d.sql === 'string' ? d.sql.replace(/\s+/g, ' ').slice(0, 160) : '';
  if (e.type.startsWith('approval.') || e.type.startsWith('execution.')) return eventText(e);
  if (e.type.startsWith('auth.')) return [d.via, d.reviewer, d.reason, d.remote].filter(Boolean).map(String).join(' · ');
  if (e.type.startsWith('reviewer.')) return String(d.reviewer ?? '');
  return typeof d.reason === 'string' ? d.reason : typeof d.error === 'string' ? d.error : '';
}

export function AuditEventItem(props: { event: AuditEvent }) {
  const e = props.event;
  return (
    <li class={`event decision-${e.decision ?? 'none'}`}>
      <details>
        <summary>
          <time dateTime={isoTime(e.ts)}>{dateTime(e.ts)}</time> <span class="etype">{e.type}</span>
          {e.agent && <span class="agent"> {e.agent}</span>}
          {e.door && <span class="badge door">{e.door}</span>}
          {e.database && <span class="muted"> {e.database}</span>}
          {e.decision && <span class={`badge tier tier-${e.decision}`}>{e.decision}</span>}
          <span class="gist"> {gist(e)}</span>
        </summary>
        <dl class="facts">
          <dt>Sequence</dt>
          <dd>{e.seq}</dd>
          {e.rule && (
            <>
              <dt>Rule</dt>
              <dd>{e.rule}</dd>
            </>
          )}
          {e.approval_id && (
            <>
              <dt>Approval</dt>
              <dd>
                <Link href={`/approvals/${e.approval_id}`}>{e.approval_id}</Link>
              </dd>
            </>
          )}
          {e.request_id && (
            <>
              <dt>Request</dt>
              <dd class="mono">{e.request_id}</dd>
            </>
          )}
          <dt>Hash</dt>
          <dd class="mono">{e.hash}</dd>
          <dt>Previous</dt>
          <dd class="mono">{e.prev_hash}</dd>
        </dl>
        <pre class="json" tabIndex={0} aria-label="Event data">
          {JSON.stringify(e.data, null, 2)}
        </pre>
      </details>
    </li>
  );
}

export function VerifyStatus(props: { result: { verify: VerifyResult; at: number } | null; busy: boolean; onVerify: () => void }) {
  const v = props.result?.verify;
  return (
    <section class={`verify card ${v ? (v.ok ? 'verify-ok' : 'verify-broken') : ''}`} aria-labelledby="verify-title">
      <h2 id="verify-title">Chain verification</h2>
      <p role="status">
        {props.busy && !v
          ? 'Verifying the hash chain…'
          : !v
            ? 'Not verified yet.'
            : v.ok
              ? `Verified: ${v.count} events intact${v.checkpoints ? `, ${v.checkpoints.checked} signed checkpoints (${v.checkpoints.signatures})` : ''}.`
              : `Broken at event ${v.firstBrokenSeq ?? '?'}: ${v.reason ?? 'unknown reason'} (${v.count} events intact before it).`}
      </p>
      {v?.warnings?.map((w, i) => (
        <p key={i} class="warning">
          {w}
        </p>
      ))}
      <button type="button" onClick={props.onVerify} disabled={props.busy}>
        {props.busy ? 'Verifying…' : 'Verify again'}
      </button>
      {props.result && <span class="muted small"> checked {dateTime(props.result.at)}</span>}
    </section>
  );
}
