// The live sessions of one wire proxy by their cancel key (pid + secret, as PostgreSQL hands out):
// new keys, CancelRequest routing, and closing every session of an agent (revocation).
import { randomInt } from 'node:crypto';
import type { AirlockError } from '../errors.js';
import type { Session } from './session.js';

export class SessionRegistry {
  private readonly sessions = new Map<number, Session>();
  private readonly secrets = new Map<number, number>();

  get size(): number {
    return this.sessions.size;
  }

  /** A fresh cancel key (the pid is unique among live sessions). */
  newKey(): { pid: number; secret: number } {
    let pid: number;
    do pid = randomInt(1, 2 ** 31 - 1);
    while (this.secrets.has(pid));
    const secret = randomInt(0, 2 ** 31 - 1);
    this.secrets.set(pid, secret);
    return { pid, secret };
  }

  add(session: Session): void {
    this.sessions.set(session.id.pid, session);
  }

  /** Forget a session's key when it ends. */
  remove(pid: number): void {
    this.sessions.delete(pid);
    this.secrets.delete(pid);
  }

  /** CancelRequest: only with the right secret, and only for this proxy's own sessions. */
  cancel(pid: number, secret: number): void {
    if (this.secrets.get(pid) === secret) this.sessions.get(pid)?.cancel();
  }

  /** End every session of an agent with a FATAL error (its identity was revoked). */
  closeAgent(agentId: string, error: AirlockError): number {
    let n = 0;
    for (const s of [...this.sessions.values()]) {
      if (s.id.agent.id !== agentId) continue;
      s.fatal(error);
      n++;
    }
    return n;
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** the live sessions, without a copy (the caller must not add or remove any meanwhile) */
  each(): IterableIterator<Session> {
    return this.sessions.values();
  }
}
