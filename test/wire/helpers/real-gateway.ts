// The wire tests run against the real gateway (policy, store, audit, preview, approval queue,
// execution) with a reviewer's approve/deny, as a person would act in the console.
import { Gateway } from '../../../src/gateway/gateway.js';
import type { ApprovalRecord } from '../../../src/domain/approval.js';
import { testConfig } from '../../helpers/gateway.js';
import { DATABASE_URL } from '../../helpers/env.js';

export interface WireTestGateway extends Gateway {
  /** approve as reviewer "rita" and wait until the queue has run it (without using up its grant) */
  approveAndRun(id: string): Promise<void>;
  denyAs(id: string, reason: string): Promise<void>;
  /** resolves with the next approval created after the call */
  nextApproval(): Promise<ApprovalRecord>;
}

export async function createRealGateway(
  opts: { database?: string; statementTimeoutMs?: number; catalogRefreshSeconds?: number; extra?: Record<string, unknown> } = {},
): Promise<WireTestGateway> {
  const database = opts.database ?? new URL(DATABASE_URL).pathname.slice(1);
  const { config, opts: gwOpts } = testConfig({ database, extra: opts.extra ?? {} });
  if (opts.statementTimeoutMs) config.upstream.statementTimeoutMs = opts.statementTimeoutMs;
  if (opts.catalogRefreshSeconds) config.upstream.catalogRefreshSeconds = opts.catalogRefreshSeconds;
  const gw = (await Gateway.open(config, gwOpts)) as WireTestGateway;
  gw.approveAndRun = async (id) => {
    await gw.approvals.approve(id, 'rita');
    const deadline = Date.now() + 20_000;
    while (!['executed', 'failed', 'drifted'].includes((await gw.approvals.get(id)).status)) {
      if (Date.now() > deadline) throw new Error(`approval ${id} did not finish executing`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  gw.denyAs = async (id, reason) => {
    await gw.approvals.deny(id, 'rita', reason);
  };
  gw.nextApproval = async () => {
    // taken synchronously, before the caller sends the statement that creates the approval
    const since = Date.now();
    const deadline = since + 20_000;
    while (Date.now() < deadline) {
      const fresh = (await gw.store.listApprovals({ limit: 50 })).filter((a) => a.createdAt >= since).at(-1);
      if (fresh) return fresh;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no new approval within 20 s');
  };
  return gw;
}
