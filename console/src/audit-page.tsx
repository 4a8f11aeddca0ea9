// The audit trail: search and filters (agent, door, decision, table or integration, time range),
// each event's detail, the hash chain's verification, and a JSON-lines export of the same filter.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from './api.js';
import { focusId, useKeys } from './keys.js';
import { localInputMs } from './format.js';
import type { AuditEvent, VerifyResult } from './types.js';
import { AuditEventItem, VerifyStatus } from './audit-detail.js';

const DOORS = ['', 'wire', 'mcp', 'api', 'rest', 'cli'];
const DECISIONS = ['', 'auto', 'ask', 'block'];
const EMPTY = { search: '', agent: '', door: '', decision: '', table: '', since: '', until: '' };
type Filters = typeof EMPTY;

function queryOf(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of ['search', 'agent', 'door', 'decision', 'table'] as const) if (f[k].trim()) q.set(k, f[k].trim());
  const since = localInputMs(f.since);
  const until = localInputMs(f.until);
  if (since !== undefined) q.set('since', String(since));
  if (until !== undefined) q.set('until', String(until));
  return q;
}

export function AuditPage() {
  const [form, setForm] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [verify, setVerify] = useState<{ verify: VerifyResult; at: number } | null>(null);
  const [verifying, setVerifying] = useState(false);

  const load = (before?: number) => {
    const q = queryOf(applied);
    q.set('limit', '100');
    if (before) q.set('before', String(before));
    api<{ events: AuditEvent[]; more: boolean }>(`/audit?${q}`)
      .then((r) => {
        setEvents((prev) => (before && prev ? [...prev, ...r.events] : r.events));
        setMore(r.more);
        setError(null);
      })
      .catch((err) => setError(errorText(err)));
  };
  const runVerify = () => {
    setVerifying(true);
    api<{ verify: VerifyResult; at: number }>('/audit/verify')
      .then(setVerify)
      .catch((err) => setError(errorText(err)))
      .finally(() => setVerifying(false));
  };

  useEffect(() => {
    document.title = 'Audit · Airlock';
    runVerify();
  }, []);
  useEffect(() => load(), [applied]);
  useKeys({ '/': () => focusId('audit-search') });

  const field = (k: keyof Filters) => ({
    value: form[k],
    onInput: (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value }),
  });
  const exportHref = `/console/api/audit/export?${queryOf(applied)}`;

  return (
    <main id="main">
      <h1>Audit</h1>
      <VerifyStatus result={verify} busy={verifying} onVerify={runVerify} />
      <form
        class="filters"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(form);
        }}
      >
        <label>
          Search
          <input id="audit-search" type="search" placeholder="SQL, reviewer, reason…" {...field('search')} />
        </label>
        <label>
          Agent
          <input {...field('agent')} />
        </label>
        <label>
          Door
          <select value={form.door} onChange={(e) => setForm({ ...form, door: e.currentTarget.value })}>
            {DOORS.map((d) => (
              <option key={d} value={d}>
                {d || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Decision
          <select value={form.decision} onChange={(e) => setForm({ ...form, decision: e.currentTarget.value })}>
            {DECISIONS.map((d) => (
              <option key={d} value={d}>
                {d || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Table or integration
          <input {...field('table')} />
        </label>
        <label>
          From
          <input type="datetime-local" step={1} {...field('since')} />
        </label>
        <label>
          To
          <input type="datetime-local" step={1} {...field('until')} />
        </label>
        <div class="buttons">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <a class="button" href={exportHref} download>
            Export JSONL
          </a>
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {events && (
        <p class="count muted" aria-live="polite">
          {events.length} {events.length === 1 ? 'event' : 'events'}
          {more ? ' (more below)' : ''}
        </p>
      )}
      {events && (
        <ol class="events" aria-label="Audit events">
          {events.map((e) => (
            <AuditEventItem key={e.seq} event={e} />
          ))}
        </ol>
      )}
      {more && events && (
        <button type="button" onClick={() => load(events.at(-1)?.seq)}>
          Older events
        </button>
      )}
    </main>
  );
}
