// The approvals list, live: server-sent events name each change and the list is fetched again.
// Filters live in the URL (shareable); j/k move, Enter opens.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from './api.js';
import { useApprovalEvents, useNow, setServerNow } from './live.js';
import { focusId, useKeys } from './keys.js';
import { navigate, usePlace } from './router.js';
import type { ApprovalView } from './types.js';
import { ApprovalListItem } from './approval-list-item.js';

const STATUSES = ['pending', 'all', 'approved', 'executing', 'executed', 'denied', 'expired', 'failed', 'drifted'];
const DOORS = ['', 'wire', 'mcp', 'api', 'rest', 'cli'];
const FILTERS = ['status', 'agent', 'door', 'database'] as const;

export function PendingPage() {
  const place = usePlace();
  const filter = Object.fromEntries(FILTERS.map((k) => [k, place.query.get(k) ?? (k === 'status' ? 'pending' : '')]));
  const [list, setList] = useState<ApprovalView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState(0);
  const now = useNow();
  const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v)).toString();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // the live-update callback may be an older render's: it reads the current filter from a ref, and
  // only the newest request's answer is shown (an earlier, unfiltered one may arrive later)
  const latest = useRef({ query, seq: 0 });
  latest.current.query = query;
  const load = () => {
    const seq = ++latest.current.seq;
    api<{ approvals: ApprovalView[]; now: number }>(`/approvals?${latest.current.query}`)
      .then((r) => {
        if (seq !== latest.current.seq) return;
        setServerNow(r.now);
        setList(r.approvals);
        setError(null);
      })
      .catch((err) => {
        if (seq === latest.current.seq) setError(errorText(err));
      });
  };

  useEffect(() => {
    document.title = `${filter.status === 'pending' ? 'Pending approvals' : 'Approvals'} · Airlock`;
    load();
  }, [query]);

  // several changes at once (a batch of votes, an execution) cause one reload
  useApprovalEvents(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(load, 150);
  });

  const setFilter = (key: string, value: string) => {
    const q = new URLSearchParams(place.query);
    if (value && !(key === 'status' && value === 'pending')) q.set(key, value);
    else q.delete(key);
    const s = q.toString();
    navigate(s ? `/?${s}` : '/', { replace: true });
  };

  const items = list ?? [];
  const filtered = filter.status !== 'pending' || Boolean(filter.agent || filter.door || filter.database);
  useKeys({
    j: () => setSelected((i) => Math.min(i + 1, items.length - 1)),
    k: () => setSelected((i) => Math.max(i - 1, 0)),
    Enter: () => items[selected] && navigate(`/approvals/${items[selected].id}`),
    o: () => items[selected] && navigate(`/approvals/${items[selected].id}`),
    '/': () => focusId('filter-agent'),
  });

  return (
    <main id="main">
      <h1>{filter.status === 'pending' ? 'Pending approvals' : 'Approvals'}</h1>
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={filter.status} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Agent
          <input id="filter-agent" value={filter.agent} onChange={(e) => setFilter('agent', e.currentTarget.value.trim())} />
        </label>
        <label>
          Door
          <select value={filter.door} onChange={(e) => setFilter('door', e.currentTarget.value)}>
            {DOORS.map((d) => (
              <option key={d} value={d}>
                {d || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Database or integration
          <input value={filter.database} onChange={(e) => setFilter('database', e.currentTarget.value.trim())} />
        </label>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {list === null && !error && <p class="muted">Loading…</p>}
      {list && list.length === 0 && <p class="empty">{filtered ? 'No approvals match.' : 'Nothing waiting for review.'}</p>}
      {list && (
        <p class="count muted" aria-live="polite">
          {list.length} shown{filter.status === 'pending' ? ' · updates live' : ''}
        </p>
      )}
      {items.length > 0 && (
        <ul class="items" aria-label="Approvals">
          {items.map((a, i) => (
            <ApprovalListItem key={a.id} approval={a} now={now} selected={i === selected} />
          ))}
        </ul>
      )}
    </main>
  );
}
