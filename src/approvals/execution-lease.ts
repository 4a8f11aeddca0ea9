// The executor lease of an `executing` approval: the worker running it keeps lease_until a few
// seconds ahead while it runs; anyone else finding it `executing` takes it over (as a crashed
// worker's) only once the lease has lapsed. A gateway that starts, a sweeper and a queue retry all
// see the same rule, so a live worker's statement or API call is never run twice or failed under it.
import type { Store } from '../store/store.js';
import type { ApprovalRecord } from '../domain/approval.js';
import { logger } from '../logger.js';

/** how long a lease lasts without renewal: how soon a dead worker's approval is taken over */
export const LEASE_MS = 10_000;
/** how often a live worker renews it: a record unchanged for longer belongs to a dead worker */
export const RENEW_EVERY_MS = 3_000;

export const leaseEnd = (now = Date.now()): number => now + LEASE_MS;

/** Held by a live worker (approvals from before leases have none: taken as lapsed). */
export const leaseLive = (rec: ApprovalRecord, now = Date.now()): boolean => (rec.leaseUntil ?? 0) > now;

/** Take over an `executing` approval whose lease lapsed; null when it is live or another took it first. */
export async function takeOver(store: Store, rec: ApprovalRecord): Promise<ApprovalRecord | null> {
  if (leaseLive(rec)) return null;
  return store.updateApproval(rec.id, { fromStatus: ['executing'], expectVersion: rec.version, patch: { leaseUntil: leaseEnd() } });
}

/** Keep renewing the lease while `work` runs. */
export async function underLease<T>(store: Store, id: string, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    store
      .updateApproval(id, { fromStatus: ['executing'], patch: { leaseUntil: leaseEnd() } })
      .catch((err: Error) => logger.warn({ err: err.message, id }, 'could not renew an execution lease'));
  }, RENEW_EVERY_MS);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
