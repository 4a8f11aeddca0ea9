// Talking to /console/api: JSON both ways, the session's CSRF token on every state-changing
// request, one place that notices an expired session, and the signed-in reviewer for the pages.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConsoleSettings, SessionInfo } from './types.js';

export interface SignedIn {
  session: SessionInfo;
  settings: ConsoleSettings;
}

export const SessionContext = createContext<SignedIn | null>(null);

/** The signed-in reviewer and console settings (pages render only when signed in). */
export const useSignedIn = (): SignedIn => useContext(SessionContext)!;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
let expiredHandler: ((message: string) => void) | null = null;

/** The token the server gave with the session; sent as X-CSRF-Token. */
export function setCsrf(token: string): void {
  csrfToken = token;
}

/** Called when any request finds the session gone (expired, signed out elsewhere, account removed). */
export function onSessionExpired(handler: (message: string) => void): void {
  expiredHandler = handler;
}

export interface ApiOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** a 401 is an answer, not an expired session (the first "am I signed in?" check, sign-in itself) */
  expect401?: boolean;
  signal?: AbortSignal;
}

/** One request to the console API; throws ApiError with the server's message on any 4xx/5xx. */
export async function api<T>(path: string, opts: ApiOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
  }
  let res: Response;
  try {
    res = await fetch(`/console/api${path}`, {
      method,
      headers,
      body: method === 'GET' ? undefined : JSON.stringify(opts.body ?? {}),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError('Airlock is not reachable: check that it is running, then try again', 0, '08006');
  }
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (!res.ok) {
    const message = body?.error?.message ?? `${res.status} ${res.statusText}`;
    const err = new ApiError(message, res.status, body?.error?.code ?? String(res.status));
    if (res.status === 401 && !opts.expect401) expiredHandler?.(message);
    throw err;
  }
  return body as T;
}

/** The text to show for anything thrown by api(). */
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
