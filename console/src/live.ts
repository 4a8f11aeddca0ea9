// Live updates: one EventSource per page for the whole console (server-sent events name each
// approval that changed), and a ticking clock for ages and countdowns.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';

export interface ApprovalSignal {
  id: string;
  status?: string;
}

type Listener = (signal: ApprovalSignal) => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;
let retry: ReturnType<typeof setTimeout> | null = null;

function open(): void {
  if (source || retry) return;
  source = new EventSource('/console/api/events');
  source.addEventListener('approval', (e) => {
    const signal = JSON.parse((e as MessageEvent<string>).data) as ApprovalSignal;
    for (const l of [...listeners]) l(signal);
  });
  source.addEventListener('session', () => {
    close();
    // asking once more lets api() notice the 401 and send the reviewer to sign in
    void api('/session').catch(() => undefined);
  });
  source.addEventListener('error', () => {
    if (source?.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    close();
    void api('/session')
      .then(() => {
        retry = setTimeout(() => {
          retry = null;
          if (listeners.size) open();
        }, 3000);
      })
      .catch(() => undefined);
  });
}

function close(): void {
  source?.close();
  source = null;
}

/** Call `onChange` for every approval change while the component is mounted. */
export function useApprovalEvents(onChange: Listener): void {
  const ref = useRef(onChange);
  ref.current = onChange;
  useEffect(() => {
    const l: Listener = (s) => ref.current(s);
    listeners.add(l);
    open();
    return () => {
      listeners.delete(l);
      if (!listeners.size) close();
    };
  }, []);
}

/** server clock minus this browser's: countdowns follow the server, which expires approvals */
let skew = 0;

/** Remember the server's time from an API answer. */
export function setServerNow(serverNow: number): void {
  if (Number.isFinite(serverNow)) skew = serverNow - Date.now();
}

/** The current (server) time, updated every `ms` (for ages and countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now() + skew);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now() + skew), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Stop the live connection (sign-out). */
export function stopLive(): void {
  close();
  if (retry) clearTimeout(retry);
  retry = null;
}
