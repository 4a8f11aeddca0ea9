// The gateway a CLI admin command opens: the admin verbs and reviewer accounts over the store and
// an in-thread audit log (with its journal), and nothing else — no parser, no upstream pools, no
// queue, no worker thread — so `approvals list|approve`, `agents`, `audit`, `reviewers` answer fast.
// Approvals decided here are picked up from the store by a serving gateway's sweeper.
import { existsSync } from 'node:fs';
import type { AirlockConfig } from '../config/schema.js';
import { configError } from '../errors.js';
import { openStore, parseStoreUrl } from '../store/open.js';
import type { Store } from '../store/store.js';
import { AuditLog } from '../audit/audit-log.js';
import { ReviewService } from '../approvals/review-service.js';
import { Notifier } from '../approvals/webhook.js';
import { AdminFacet } from './admin-facet.js';
import { ReviewerAccounts } from './reviewer-accounts.js';
import type { AdminPort, ReviewersPort } from './port.js';

export interface AdminGateway extends AdminPort, ReviewersPort {
  close(): Promise<void>;
}

export interface AdminOpenOptions {
  /** create the store when it does not exist (`migrate`); every other command refuses to */
  create?: boolean;
  storeSchema?: string;
}

/** A SQLite store that is not there is an operator mistake (wrong folder, wrong --store), not an empty store. */
export function assertStoreExists(url: string): void {
  const t = parseStoreUrl(url);
  if (t.kind === 'sqlite' && t.path !== ':memory:' && !existsSync(t.path)) {
    throw configError(
      `the store ${t.path} does not exist: pass --store (or AIRLOCK_STORE_URL) to point at the gateway's store, or run \`airlock migrate\` to create a new one`,
    );
  }
}

/** Apply the store's pending migrations (creating it if needed); the versions applied now. */
export async function migrateStore(config: AirlockConfig): Promise<number[]> {
  const store = await openStore(config.store.url, { migrate: false });
  try {
    return await store.migrate();
  } finally {
    await store.close();
  }
}

/** Open the light admin gateway of a CLI command. */
export async function openAdminGateway(config: AirlockConfig, opts: AdminOpenOptions = {}): Promise<AdminGateway> {
  if (!opts.create) assertStoreExists(config.store.url);
  const store = await openStore(config.store.url, opts.storeSchema ? { schema: opts.storeSchema } : {});
  let audit: AuditLog;
  try {
    audit = await AuditLog.open(config.store.url, { store, worker: false, schema: opts.storeSchema, ...config.audit });
  } catch (err) {
    await store.close();
    throw err;
  }
  const notifier = new Notifier(config.approvals.webhooks);
  const publicUrl = config.http.publicUrl ?? `http://${config.http.host}:${config.http.port}`;
  const review = new ReviewService({ store, audit, notifier, config: config.approvals, publicUrl });
  return combine(
    new AdminFacet({ config, store, audit, review, storeSchema: opts.storeSchema, door: 'cli' }),
    new ReviewerAccounts(config, store, audit),
    {
      store,
      audit,
      notifier,
    },
  );
}

function combine(
  admin: AdminFacet,
  accounts: ReviewerAccounts,
  parts: { store: Store; audit: AuditLog; notifier: Notifier },
): AdminGateway {
  return {
    listApprovals: (f) => admin.listApprovals(f),
    getApproval: (id) => admin.getApproval(id),
    approve: (id, r, c) => admin.approve(id, r, c),
    deny: (id, r, c) => admin.deny(id, r, c),
    reviewUrl: (id) => admin.reviewUrl(id),
    alwaysAllow: (id, r, o) => admin.alwaysAllow(id, r, o),
    listStanding: (f) => admin.listStanding(f),
    revokeStanding: (id, r) => admin.revokeStanding(id, r),
    revertApproval: (id, r, c) => admin.revertApproval(id, r, c),
    listAudit: (f) => admin.listAudit(f),
    exportAudit: (out, f) => admin.exportAudit(out, f),
    verifyAudit: (head) => admin.verifyAudit(head),
    record: (e) => admin.record(e),
    createAgent: (name, by) => admin.createAgent(name, by),
    listAgents: () => admin.listAgents(),
    revokeAgent: (name, by) => admin.revokeAgent(name, by),
    authenticateToken: (t, door, remote) => admin.authenticateToken(t, door, remote),
    agentAuth: (name) => admin.agentAuth(name),
    authAttempt: (door, remote, name) => admin.authAttempt(door, remote, name),
    authFailed: (door, remote, name) => admin.authFailed(door, remote, name),
    authSucceeded: (door, remote, name) => admin.authSucceeded(door, remote, name),
    authenticateReviewerToken: (token, remote) => admin.authenticateReviewerToken(token, remote),
    setSecret: (name, value, by) => admin.setSecret(name, value, by),
    listSecrets: () => admin.listSecrets(),
    deleteSecret: (name, by) => admin.deleteSecret(name, by),
    addReviewer: (name, pw, o) => accounts.addReviewer(name, pw, o),
    listReviewers: () => accounts.listReviewers(),
    removeReviewer: (name, by) => accounts.removeReviewer(name, by),
    signIn: (name, pw, remote) => accounts.signIn(name, pw, remote),
    reviewerSession: (t) => accounts.reviewerSession(t),
    signOut: (t, r) => accounts.signOut(t, r),
    async close() {
      await parts.notifier.flush().catch(() => undefined);
      await parts.audit.close();
      await parts.store.close();
    },
  };
}
