// The one policy engine every front door calls: SQL + context in, Decision out. Pure and cached.
import { analyze, type FullAnalysis } from './analyze.js';
import { judgeStatement } from './default-rules.js';
import { applyRules } from './config-rules.js';
import { initParser } from '../sql/parser.js';
import { LRUCache } from 'lru-cache';
import { policySchema, type PolicyConfig } from '../config/schema.js';
import { TIER_RANK, type DatabaseCatalog, type Decision, type PolicyContext, type StatementDecision } from '../domain/decision.js';

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

/**
 * Hold what the database makes untrustworthy: an unqualified call of a name that a function outside
 * pg_catalog shadows or overloads (`public.upper(integer)`), an operator defined outside pg_catalog,
 * or any function or operator at all while the database's catalog is unknown. Never relaxes.
 */
export function checkCatalog(s: StatementDecision, catalog: DatabaseCatalog): StatementDecision {
  if (s.decision !== 'auto') return s;
  const ask = (rule: string, reason: string): StatementDecision => ({ ...s, decision: 'ask', rule, reason });
  if (!catalog.loaded) {
    if (s.functions.length > 0 || s.operators.length > 0) {
      return ask('ask.catalog-unknown', "the database's function catalog could not be read, so no function or operator is trusted");
    }
    return s;
  }
  const fn = s.functions.find((f) => catalog.shadowedFunctions.has(f));
  if (fn) return ask('ask.shadowed-function', `${fn} is overloaded or shadowed outside pg_catalog in this database`);
  const op = s.operators.find((o) => catalog.userOperators.has(o));
  if (op) return ask('ask.user-operator', `operator ${op} is defined outside pg_catalog in this database`);
  return s;
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
            operators: a.operators,
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
    const catalog = ctx.catalog;
    const untrusted = catalog !== undefined && (!catalog.loaded || catalog.shadowedFunctions.size > 0 || catalog.userOperators.size > 0);
    if ((rules.length === 0 && !untrusted) || base.decision.statements.length === 0) return base.decision;
    return combine(
      base.decision.statements.map((s) => {
        const checked = untrusted ? checkCatalog(s, catalog!) : s;
        return rules.length ? applyRules(rules, checked, ctx) : checked;
      }),
    );
  }

  cacheSize(): number {
    return this.cache?.size ?? 0;
  }
}
