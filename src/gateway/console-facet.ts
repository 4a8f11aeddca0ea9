// The gateway's verbs for reviewer front ends (web console, Slack): reviewer accounts and sessions,
// live approval changes, what a reviewer should notice about an approval, and the policy in force.
// Kept apart from gateway.ts, which only delegates to it.
import type { AirlockConfig, PolicyRule } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { ApprovalRecord } from '../domain/approval.js';
import { ApprovalWatch } from '../approvals/approval-watch.js';
import { type ApprovalListener } from '../domain/approval.js';
import { reviewFacts } from '../approvals/review-facts.js';
import { type ReviewFacts } from '../domain/review.js';

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
    store: Store,
  ) {
    this.watch = new ApprovalWatch(store);
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

  close(): void {
    this.watch.stop();
  }
}
