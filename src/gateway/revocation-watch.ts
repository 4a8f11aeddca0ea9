// Revocations made anywhere (the CLI in another process, another gateway, the console) reach this
// gateway within a second: the store is asked every second for agents revoked since the last look,
// and every door that holds live sessions of such an agent is told.
import type { Agent } from '../domain/request.js';
import type { Store } from '../store/store.js';
import { logger } from '../logger.js';

export type RevocationListener = (agent: Agent) => void;

/** revocations committed this long before the last look are still picked up (clock skew, slow commits) */
const OVERLAP_MS = 5000;

export class RevocationWatch {
  private readonly listeners = new Set<RevocationListener>();
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private since = Date.now() - OVERLAP_MS;
  private polling = false;

  constructor(
    private readonly store: Pick<Store, 'listRevokedSince'>,
    private readonly intervalMs = 1000,
  ) {}

  /** Call `listener` for every agent revoked from now on; returns the unsubscribe function. */
  subscribe(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** A revocation made in this process: tell the doors now rather than at the next poll. */
  revoked(agent: Agent): void {
    this.announce(agent, Date.now());
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    const started = Date.now();
    try {
      for (const a of await this.store.listRevokedSince(this.since)) this.announce({ id: a.id, name: a.name }, a.revokedAt ?? started);
      this.since = started - OVERLAP_MS;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'could not look for revoked agents; trying again');
    } finally {
      this.polling = false;
    }
  }

  private announce(agent: Agent, at: number): void {
    if (this.seen.has(agent.id)) return;
    this.seen.set(agent.id, at);
    if (this.seen.size > 10_000) this.seen.delete(this.seen.keys().next().value!);
    for (const l of this.listeners) {
      try {
        l(agent);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'a revocation listener failed');
      }
    }
  }
}
