// Sign-in with name and password. Errors (wrong password, throttled, expired session) are shown
// in a live region so screen readers announce them.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from './api.js';

export function SignInPage(props: { notice?: string; onSignedIn: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Airlock';
    nameRef.current?.focus();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/sign-in', { method: 'POST', body: { name: name.trim(), password }, expect401: true });
      setPassword('');
      await props.onSignedIn();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Airlock</h1>
      <p class="muted">Sign in to review what agents want to change.</p>
      {props.notice && !error && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <form onSubmit={submit} class="card">
        <label for="sign-in-name">Name</label>
        <input
          id="sign-in-name"
          ref={nameRef}
          name="username"
          autocomplete="username"
          required
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label for="sign-in-password">Password</label>
        <input
          id="sign-in-password"
          type="password"
          name="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <p class="error" role="alert">
          {error ?? ''}
        </p>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <p class="muted small">
        Accounts are made with <code>airlock reviewers add NAME</code>.
      </p>
    </main>
  );
}
