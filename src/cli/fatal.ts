// The one line a failed command prints: what went wrong and what to do, never a stack trace
// (unless AIRLOCK_LOG_LEVEL=debug). Start-up failures from Node (a port in use, a server not
// reachable) get a hint of their own.
import { AirlockError } from '../errors.js';

type NodeError = Error & { code?: string; address?: string; port?: number; errors?: NodeError[] };

const HINTS: Record<string, (e: NodeError) => string> = {
  EADDRINUSE: (e) =>
    `port ${e.port ?? '?'} is already in use; stop what holds it or choose another port (--wire-port, --http-port, 0 = any free port)`,
  EACCES: (e) =>
    `permission denied${e.port !== undefined ? ` for port ${e.port}` : ''}; ports below 1024 need privileges, use a higher one`,
  ECONNREFUSED: (e) =>
    `cannot connect to ${e.address ?? 'the server'}:${e.port ?? '?'} (connection refused); is it running? Check --upstream / --store / --redis or the matching env URL, or run \`airlock doctor\``,
  ENOTFOUND: (e) => `host not found (${e.message.replace(/^getaddrinfo ENOTFOUND /, '')}); check the URL`,
  ETIMEDOUT: () => 'connection timed out; check the host, port and firewall, or run `airlock doctor`',
  ENOENT: (e) => e.message,
};

/** The message for a failed command: one line (plus the stack when debugging). */
export function describeFailure(err: unknown, debug = process.env.AIRLOCK_LOG_LEVEL === 'debug'): string {
  const e = err as NodeError;
  let line: string;
  if (err instanceof AirlockError) line = err.message;
  else {
    // AggregateError (a host with IPv4 and IPv6 addresses) carries the real causes inside
    const cause = !e?.code && Array.isArray(e?.errors) && e.errors.length ? e.errors[0] : e;
    const hint = cause?.code ? HINTS[cause.code] : undefined;
    line = hint ? hint(cause) : (e?.message ?? String(err));
  }
  const stack = debug && e?.stack ? `\n${e.stack}` : '';
  // Airlock's own errors are written for the reader (a config error lists every bad key); others get one line
  return `${err instanceof AirlockError ? line : line.split('\n')[0]}${stack}`;
}
