// The statement-time cap of each agent (limits.statementTimeoutMs) on the wire's fast path, whatever
// statement_timeout the session SETs (SET, SET LOCAL, set_config, RESET to a higher default): one
// timer per proxy looks at every session's running statement and cancels those past their cap
// (Session.watch). Servers of agents with a lower cap than the upstream default already start with
// it as their statement_timeout (handshake.ts), so PostgreSQL itself cancels those in time.
import type { Session } from './session.js';

/** Starts the watch; returns its stop. It runs every tenth of the smallest cap (20 ms to 1 s). */
export function watchStatementTimes(sessions: () => Iterable<Session>, shortestCapMs: number): () => void {
  const period = Math.min(1000, Math.max(20, Math.floor(shortestCapMs / 10)));
  const timer = setInterval(() => {
    const now = performance.now();
    for (const s of sessions()) s.watch(now, period);
  }, period);
  timer.unref();
  return () => clearInterval(timer);
}
