// The gateway's verbs for reviewer front ends (web console, Slack): reviewer accounts and sessions,
// live approval changes, what a reviewer should notice about an approval, and the policy in force.
// Kept apart from gateway.ts, which only delegates to it.
import type { AirlockConfig, PolicyRule } from './config/schema.js';
import type { AuditLog } from './audit/audit-log.js';
import type { Store } from './store/store.js';
import type { ApprovalRecord } from './domain/approval.js';
import type { ReviewerRecord, ReviewerSession } from './domain/reviewer.js';
import { ApprovalWatch, type ApprovalListener } from './approvals/approval-watch.js';
import { reviewFacts, type ReviewFacts } from './approvals/review-facts.js';
import { undefinedObject } from './errors.js';

/** The built-in tiers, as the console explains them next to the configured rules. */
export const DEFAULT_TIERS = [
  { tier: 'auto', what: 'SELECT, EXPLAIN, SHOW, BEGIN/COMMIT, harmless SET: runs at once on a read-only session' },
  { tier: 'ask', what: 'INSERT, UPDATE, MERGE, DDL, CALL, nextval(), unknown functions: held for a reviewer with a preview' },
  { tier: 'block', what: 'DROP, TRUNCATE, DELETE, GRANT, SET ROLE, server file access, COPY ... PROGRAM: refused (42501)' },
] as const;

export interface EffectivePolicy {
  agent: string | null;
  defaults: readonly { tier: string; what: string }[];
  /** configured rules that apply to this agent (all rules without `agent`), in evaluation order */
  rules: (PolicyRule & { forAllAgents: boolean })[];
  approvals: Pick<AirlockConfig['approvals'], 'expiryMinutes' | 'requiredApprovals' | 'allowSelfApproval' | 'thresholds'>;
}

/** Third-party API integrations and the names (never values) of vault secrets. */
export interface IntegrationsView {
  integrations: { name: string; baseUrl?: string }[];
  secrets: string[];
}

export class ConsoleFacet {
  private readonly watch: ApprovalWatch;
  private readonly waiters = new Map<string, number>();

  constructor(
    private readonly config: AirlockConfig,
    private readonly store: Store,
    private readonly audit: AuditLog,
  ) {
    this.watch = new ApprovalWatch(store);
  }

  private get sessionTimes() {
    const c = this.config.console;
    return { idleMs: Math.round(c.sessionIdleMinutes * 60_000), maxMs: Math.round(c.sessionMaxHours * 3_600_000) };
  }

  async addReviewer(name: string, password: string, opts: { admin?: boolean; by?: string } = {}): Promise<ReviewerRecord> {
    const rec = await this.store.createReviewer(name, password, opts.admin === true);
    this.audit.append({ type: 'reviewer.created', door: 'cli', data: { reviewer: rec.name, admin: rec.admin, by: opts.by ?? 'api' } });
    return rec;
  }

  listReviewers(): Promise<ReviewerRecord[]> {
    return this.store.listReviewers();
  }

  async removeReviewer(name: string, by = 'api'): Promise<ReviewerRecord> {
    const rec = await this.store.removeReviewer(name);
    if (!rec) throw undefinedObject(`reviewer "${name}" does not exist`);
    this.audit.append({ type: 'reviewer.removed', door: 'cli', data: { reviewer: rec.name, by } });
    return rec;
  }

  async signIn(name: string, password: string, remote?: string): Promise<{ token: string; session: ReviewerSession } | null> {
    const account = await this.store.checkReviewerPassword(name, password);
    const who = typeof name === 'string' ? name.slice(0, 100) : null;
    if (!account) {
      this.audit.append({
        type: 'auth.failed',
        door: 'rest',
        data: { via: 'console', reviewer: who, reason: 'wrong name or password', remote },
      });
      return null;
    }
    const opened = await this.store.createReviewerSession(account, this.sessionTimes);
    this.audit.append({ type: 'auth.ok', door: 'rest', data: { via: 'console', reviewer: account.name, admin: account.admin, remote } });
    return opened;
  }

  reviewerSession(token: string): Promise<ReviewerSession | null> {
    return this.store.getReviewerSession(token, this.sessionTimes.idleMs);
  }

  async signOut(token: string, reviewer?: string): Promise<void> {
    await this.store.deleteReviewerSession(token);
    if (reviewer) this.audit.append({ type: 'reviewer.signed-out', door: 'rest', data: { via: 'console', reviewer } });
  }

  watchApprovals(listener: ApprovalListener): () => void {
    return this.watch.subscribe(listener);
  }

  /** A change made in this process: tell live views now rather than at the next poll. */
  changed(): void {
    this.watch.nudge();
  }

  reviewFacts(rec: ApprovalRecord): ReviewFacts {
    return reviewFacts(rec, this.config.console, this.waiters.get(rec.id) ?? 0);
  }

  /** Count a client waiting on an approval's outcome for as long as `wait` runs. */
  async waiting<T>(id: string, wait: () => Promise<T>): Promise<T> {
    this.waiters.set(id, (this.waiters.get(id) ?? 0) + 1);
    this.watch.announce(id);
    try {
      return await wait();
    } finally {
      const n = (this.waiters.get(id) ?? 1) - 1;
      if (n > 0) this.waiters.set(id, n);
      else this.waiters.delete(id);
      this.watch.announce(id);
    }
  }

  effectivePolicy(agent?: string): EffectivePolicy {
    const rules = this.config.policy.rules
      .filter((r) => !r.agents || (agent !== undefined && r.agents.includes(agent)))
      .map((r) => ({ ...r, forAllAgents: !r.agents }));
    const { expiryMinutes, requiredApprovals, allowSelfApproval, thresholds } = this.config.approvals;
    return {
      agent: agent ?? null,
      defaults: DEFAULT_TIERS,
      rules,
      approvals: { expiryMinutes, requiredApprovals, allowSelfApproval, thresholds },
    };
  }

  async listIntegrations(): Promise<IntegrationsView> {
    // integrations arrive with the API proxy; until then there are none to list
    return { integrations: [], secrets: await this.store.listSecretNames() };
  }

  close(): void {
    this.watch.stop();
  }
}
