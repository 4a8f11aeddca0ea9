// Tells live views (the console's server-sent events, the Slack app) which approvals changed, in
// any process sharing the store: the CLI, another gateway, the execution worker. It polls one
// indexed query over a sliding window while someone listens, and stays silent otherwise.
import type { Store } from '../store/store.js';
import { logger } from '../logger.js';
import type { ApprovalListener, ApprovalSignal } from '../domain/approval.js';

/** Rows whose updated_at is this far back are looked at again: a writer's commit can land late. */
const WINDOW_MS = 5000;

export class ApprovalWatch {
  private readonly listeners = new Set<ApprovalListener>();
  private readonly seen = new Map<string, { version: number; updatedAt: number }>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  /** changes older than the first listener are not news */
  private quietBefore = 0;

  constructor(
    private readonly store: Pick<Store, 'listApprovalChanges'>,
    private readonly intervalMs = 400,
  ) {}

  /** Call `listener` for every change from now on; returns the unsubscribe function. */
  subscribe(listener: ApprovalListener): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.quietBefore = Date.now();
      void this.poll();
      this.timer = setInterval(() => void this.poll(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Look now instead of at the next tick (after a change made in this process). */
  nudge(): void {
    if (this.timer) void this.poll();
  }

  /** Tell listeners about an approval without a row change (a client started or stopped waiting). */
  announce(id: string): void {
    if (this.listeners.size) this.emit({ id });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.seen.clear();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const since = Date.now() - WINDOW_MS;
      const changes = await this.store.listApprovalChanges(since, 1000);
      for (const c of changes) {
        if (this.seen.get(c.id)?.version === c.version) continue;
        this.seen.set(c.id, { version: c.version, updatedAt: c.updatedAt });
        if (c.updatedAt >= this.quietBefore) this.emit({ id: c.id, status: c.status });
      }
      for (const [id, s] of this.seen) if (s.updatedAt < since) this.seen.delete(id);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'approval watch: store query failed');
    } finally {
      this.polling = false;
    }
  }

  private emit(signal: ApprovalSignal): void {
    for (const l of [...this.listeners]) {
      try {
        l(signal);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'approval listener failed');
      }
    }
  }
}
