// One approval per URL (/approvals/ID, the link every door prints): who asks and why, the exact
// statement or request, risk hints, the preview, the decision, and afterwards what happened.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from './api.js';
import { setServerNow, useApprovalEvents, useNow } from './live.js';
import { useKeys } from './keys.js';
import { Link, navigate } from './router.js';
import type { ApprovalView, AuditEvent } from './types.js';
import { ago, countdown, dateTime, isoTime } from './format.js';
import { DoorBadge, RiskBadge, RiskHints, RuleLine, StatusBadge, Target, WaitingBadge } from './risk.js';
import { RequestView, SqlView } from './sql-view.js';
import { PreviewTables } from './preview-tables.js';
import { DecisionPanel, Votes } from './decision-panel.js';
import { Outcome } from './approval-outcome.js';

interface Loaded {
  approval: ApprovalView;
  history: AuditEvent[];
  now: number;
}

export function ApprovalPage(props: { id: string }) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirmation, setConfirmation] = useState<string | null>(null);
  const now = useNow();

  const load = () =>
    api<Loaded>(`/approvals/${encodeURIComponent(props.id)}`)
      .then((r) => {
        setServerNow(r.now);
        setData(r);
        setError(null);
      })
      .catch((err) => setError(errorText(err)));

  useEffect(() => {
    document.title = 'Approval · Airlock';
    void load();
  }, [props.id]);
  useApprovalEvents((s) => {
    if (s.id === props.id) void load();
  });
  useKeys({ u: () => navigate('/'), Escape: () => navigate('/') });

  if (error && !data) {
    return (
      <main id="main">
        <h1>Approval not available</h1>
        <p class="error" role="alert">
          {error}
        </p>
        <p>
          <Link href="/">Back to the approvals</Link>
        </p>
      </main>
    );
  }
  if (!data)
    return (
      <main id="main" class="muted">
        Loading…
      </main>
    );
  const a = data.approval;
  const pending = a.status === 'pending';
  const facts = a.facts;

  const decided = (updated: ApprovalView, what: string) => {
    setData({ ...data, approval: updated });
    const more = updated.status === 'pending' ? ` ${updated.approvals.length} of ${updated.requiredApprovals} approvals so far.` : '';
    setConfirmation(`You ${what} this at ${new Date().toLocaleTimeString()}.${more}`);
    void load();
  };

  return (
    <main id="main" class="approval">
      <p class="crumbs">
        <Link href="/">Approvals</Link> / <span class="mono">{a.id}</span>
      </p>
      <h1>
        {a.agentName} wants to {facts.request ? 'call an API' : `change ${facts.tables.length ? facts.tables.join(', ') : 'the database'}`}
      </h1>
      <div class="badges">
        <StatusBadge status={a.status} />
        <RiskBadge level={facts.risk} />
        <DoorBadge door={a.door} />
        <WaitingBadge approval={a} />
      </div>
      {confirmation && (
        <p class="confirmation" role="status">
          {confirmation}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <dl class="facts">
        <dt>Agent</dt>
        <dd>{a.agentName}</dd>
        <dt>Target</dt>
        <dd>
          <Target approval={a} />
        </dd>
        <dt>Why held</dt>
        <dd>
          <RuleLine approval={a} />
        </dd>
        <dt>Asked</dt>
        <dd>
          <time dateTime={isoTime(a.createdAt)}>{dateTime(a.createdAt)}</time> ({ago(a.createdAt, now)})
        </dd>
        {pending && (
          <>
            <dt>Expires</dt>
            <dd class="countdown">
              in <time dateTime={isoTime(a.expiresAt)}>{countdown(a.expiresAt, now)}</time>
            </dd>
          </>
        )}
      </dl>
      <section aria-labelledby="risk-title">
        <h2 id="risk-title">Risk</h2>
        <RiskHints risks={facts.risks} />
      </section>
      {facts.request ? <RequestView request={facts.request} /> : <SqlView sql={a.sql} params={a.params} />}
      {!facts.request && <PreviewTables approval={a} />}
      {pending ? <DecisionPanel approval={a} now={now} onDecided={decided} /> : <Votes approval={a} />}
      {!pending && <Outcome approval={a} history={data.history} />}
    </main>
  );
}
