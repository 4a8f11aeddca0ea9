// The one policy engine every front door calls: SQL + context in, Decision out. Pure and cached.
import { analyze, type FullAnalysis } from './analyze.js';
import { judgeStatement } from './default-rules.js';
import { applyRules } from './config-rules.js';
import { initParser } from './parser.js';
import { LRUCache } from 'lru-cache';
import { policySchema, type PolicyConfig } from '../config/schema.js';
import { TIER_RANK, type Decision, type PolicyContext, type StatementDecision } from './types.js';

/** Load the parser; call once before the first decision. */
export const initPolicy = initParser;

interface Cached {
  analysis: FullAnalysis;
  decision: Decision;
}

function refusal(reason: string, rule = 'parse-error'): Decision {
  return { decision: 'block', rule, reason, statements: [] };
}

/** Combine statement verdicts: a batch gets the strictest tier; the first strictest names the rule. */
export function combine(statements: StatementDecision[]): Decision {
  let worst = statements[0];
  for (const s of statements) if (TIER_RANK[s.decision] > TIER_RANK[worst.decision]) worst = s;
  const reason = statements.length > 1 ? `statement ${worst.index + 1} of ${statements.length}: ${worst.reason}` : worst.reason;
  return { decision: worst.decision, rule: worst.rule, reason, statements };
}

export class PolicyEngine {
  readonly config: PolicyConfig;
  /** by SQL text; lru-cache's hit path moves an index, so a hot statement allocates nothing */
  private readonly cache: LRUCache<string, Cached> | null;

  constructor(config: Partial<PolicyConfig> = {}) {
    this.config = policySchema.parse(config);
    this.cache = this.config.cacheSize > 0 ? new LRUCache({ max: this.config.cacheSize }) : null;
  }

  /** Analysis and default-policy decision for a SQL text, from the cache when seen before. */
  private base(sql: string): Cached {
    const hit = this.cache?.get(sql);
    if (hit) return hit;
    const analysis = analyze(sql, this.config.maxStatementBytes);
    let decision: Decision;
    if (!analysis.ok) decision = refusal(`refused: ${analysis.error}`);
    else if (analysis.statements.length === 0) decision = refusal('empty query: no SQL statement to run', 'empty');
    else {
      decision = combine(
        analysis.statements.map((a) => {
          const verdict = judgeStatement(a, this.config);
          return {
            index: a.index,
            sql: a.sql,
            kind: a.kind,
            node: a.node,
            decision: verdict.tier,
            rule: verdict.rule,
            reason: verdict.reason,
            tablesRead: a.tablesRead,
            tablesWritten: a.tablesWritten,
            functions: a.functions.map((f) => (f.schema ? `${f.schema}.${f.name}` : f.name)),
            flags: [...new Set([...a.flags, ...(verdict.flags ?? [])])],
          };
        }),
      );
    }
    const entry = { analysis, decision };
    // only cache reasonably small texts so a flood of huge statements cannot pin memory
    if (typeof sql === 'string' && sql.length <= 64 * 1024) this.cache?.set(sql, entry);
    return entry;
  }

  analyze(sql: string): FullAnalysis {
    return this.base(sql).analysis;
  }

  /** Decide a request. Never throws: anything unexpected is a block. */
  decide(sql: string, ctx: PolicyContext = {}): Decision {
    let base: Cached;
    try {
      base = this.base(sql);
    } catch (err) {
      return refusal(`refused: could not analyze the statement (${(err as Error).message})`, 'internal-error');
    }
    const rules = this.config.rules;
    if (rules.length === 0 || base.decision.statements.length === 0) return base.decision;
    return combine(base.decision.statements.map((s) => applyRules(rules, s, ctx)));
  }

  cacheSize(): number {
    return this.cache?.size ?? 0;
  }
}
