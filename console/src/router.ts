// A tiny router over the History API: the page paths the server also answers (/, /approvals/ID,
// /audit, /agents, /sign-in), so every URL can be opened, shared and reloaded.
import { createElement, type ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();

export interface Place {
  path: string;
  query: URLSearchParams;
}

const current = (): Place => ({ path: location.pathname, query: new URLSearchParams(location.search) });

/** Go to a console path (pushes history unless `replace`). */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of [...listeners]) l();
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  for (const l of [...listeners]) l();
});

/** The current path and query; re-renders on navigation. */
export function usePlace(): Place {
  const [place, setPlace] = useState(current);
  useEffect(() => {
    const l = () => setPlace(current());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return place;
}

/** A plain link that navigates without a reload (modified clicks open tabs as usual). */
export function Link(props: { href: string; class?: string; children: ComponentChildren; 'aria-current'?: 'page' | undefined }) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return createElement('a', { href: props.href, class: props.class, onClick, 'aria-current': props['aria-current'] }, props.children);
}

/** `/approvals/ID` → the id, else null. */
export function approvalIdOf(path: string): string | null {
  const m = /^\/approvals\/([^/]+)\/?$/.exec(path);
  return m ? decodeURIComponent(m[1]) : null;
}

/** Where to go back to after signing in: a console path on this site only. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/console/api') ? next : '/';
}
