// The console shell: who is signed in (or the sign-in page), the navigation, and the page for the
// current path. An expired session anywhere sends the reviewer to sign in and back.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { SessionContext, api, errorText, onSessionExpired, setCsrf, type SignedIn } from './api.js';
import { stopLive } from './live.js';
import { Link, approvalIdOf, navigate, safeNext, usePlace } from './router.js';
import { SignInPage } from './sign-in.js';
import { PendingPage } from './pending-page.js';
import { ApprovalPage } from './approval-page.js';
import { AuditPage } from './audit-page.js';
import { AgentsPage } from './agents-page.js';
import { Shortcuts } from './keys.js';

type State = { kind: 'loading' } | { kind: 'out'; notice?: string } | { kind: 'in'; signedIn: SignedIn };

const loadSession = () => api<SignedIn>('/session', { expect401: true });

export function App() {
  const place = usePlace();
  const [state, setState] = useState<State>({ kind: 'loading' });

  const signedIn = useCallback((s: SignedIn) => {
    setCsrf(s.session.csrf);
    setState({ kind: 'in', signedIn: s });
  }, []);

  useEffect(() => {
    loadSession()
      .then(signedIn)
      .catch((err) => setState({ kind: 'out', notice: (err as { status?: number }).status === 401 ? undefined : errorText(err) }));
    onSessionExpired((message) => {
      stopLive();
      setCsrf('');
      setState({ kind: 'out', notice: message });
    });
  }, [signedIn]);

  // signed out on a page: show sign-in at /sign-in?next=<that page>, and come back afterwards
  useEffect(() => {
    if (state.kind === 'out' && place.path !== '/sign-in') {
      navigate(`/sign-in?next=${encodeURIComponent(place.path + location.search)}`, { replace: true });
    }
    if (state.kind === 'in' && place.path === '/sign-in') navigate(safeNext(place.query.get('next')), { replace: true });
  }, [state.kind, place.path]);

  if (state.kind === 'loading') return <p class="loading">Loading…</p>;
  if (state.kind === 'out') {
    return <SignInPage notice={state.notice} onSignedIn={() => loadSession().then(signedIn)} />;
  }

  const signOut = async () => {
    try {
      await api('/sign-out', { method: 'POST' });
    } finally {
      stopLive();
      setCsrf('');
      setState({ kind: 'out', notice: 'You are signed out.' });
    }
  };

  const id = approvalIdOf(place.path);
  const page =
    place.path === '/' || place.path === '/approvals' ? (
      <PendingPage />
    ) : id ? (
      <ApprovalPage id={id} key={id} />
    ) : place.path === '/audit' ? (
      <AuditPage />
    ) : place.path === '/agents' ? (
      <AgentsPage />
    ) : (
      <main id="main">
        <h1>Not found</h1>
        <p>There is no console page at this address.</p>
      </main>
    );
  const current = (p: string) => (place.path === p || (p === '/' && place.path.startsWith('/approvals')) ? 'page' : undefined);
  const { session } = state.signedIn;
  return (
    <SessionContext.Provider value={state.signedIn}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Airlock</span>
        <nav aria-label="Main">
          <Link href="/" aria-current={current('/')}>
            Approvals
          </Link>
          <Link href="/audit" aria-current={current('/audit')}>
            Audit
          </Link>
          <Link href="/agents" aria-current={current('/agents')}>
            Agents &amp; policy
          </Link>
        </nav>
        <span class="who">
          {session.reviewer}
          {session.admin ? ' (admin)' : ''}
        </span>
        <button type="button" class="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      {page}
      <Shortcuts />
    </SessionContext.Provider>
  );
}
