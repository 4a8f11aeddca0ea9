// The one policy engine every front door calls: SQL + context in, Decision out. Pure and cached.
import { analyze, type AnalyzedStatement, type FullAnalysis } from './analyze.js';
import { judgeStatement } from './default-rules.js';
import { applyRules } from './config-rules.js';
import { initParser, precheck } from '../sql/parser.js';
import { ShapeCache } from './shape-cache.js';
import { Doorkeeper } from './doorkeeper.js';
import { checkMasking } from './masking.js';
import { compileMaskRules, type CompiledMaskRule } from '../domain/masking.js';
import { initNormalizer } from '../sql/normalizer.js';
import { LRUCache } from 'lru-cache';
import { policySchema, type PolicyConfig } from '../config/schema.js';
import { TIER_RANK, type DatabaseCatalog, type Decision, type PolicyContext, type StatementDecision } from '../domain/decision.js';

/** Load the parser (and, unless told not to, the normalizer of the shape cache) before the first decision. */
export const initPolicy = async (opts: { shapes?: boolean } = {}): Promise<void> => {
  await Promise.all([initParser(), opts.shapes === false ? undefined : initNormalizer()]);
};

interface Cached {
  /** null for a decision taken from its shape: analysed only if asked for (analysisOf) */
  analysis: FullAnalysis | null;
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
  /** a text is remembered from its second sighting (doorkeeper.ts) */
  private readonly doorkeeper: Doorkeeper | null;

  /** decisions shared by texts that differ only in constants (shape-cache.ts) */
  readonly shapes: ShapeCache | null;

  /** masking rules (masking.ts): statements that could probe a masked column are held */
  private readonly masking: CompiledMaskRule[];
  /** column use is analysed only when masking rules need it */
  private readonly analyzeOpts: { columns: boolean };

  constructor(config: Partial<PolicyConfig> = {}, opts: { adaptiveShapes?: boolean } = {}) {
    this.config = policySchema.parse(config);
    this.masking = compileMaskRules(this.config.masking.rules, '');
    this.analyzeOpts = { columns: this.masking.length > 0 };
    this.cache = this.config.cacheSize > 0 ? new LRUCache({ max: this.config.cacheSize }) : null;
    this.doorkeeper = this.cache ? new Doorkeeper(this.config.cacheSize) : null;
    this.shapes = this.config.shapeCacheSize > 0 ? new ShapeCache(this.config.shapeCacheSize, opts.adaptiveShapes ?? true) : null;
  }

  /** Analysis and default-policy decision for a SQL text, from the cache when seen before. */
  private base(sql: string): Cached {
    const hit = this.cache?.get(sql);
    if (hit) return hit;
    // only text the parser may see is keyed (a NUL would end the normalizer's C string early)
    const key = this.shapes && precheck(sql, this.config.maxStatementBytes) === null ? this.shapes.key(sql) : null;
    const shaped = key === null ? null : this.shapes!.get(key, sql);
    // a text keyed by the quick scan is not remembered by its text: its shape finds it again at
    // little more than a lookup's cost; one the normalizer keyed is, once seen twice (doorkeeper.ts)
    if (shaped) {
      const entry = { analysis: null, decision: shaped };
      return ShapeCache.quick(key!) ? entry : this.remember(sql, entry);
    }
    const entry = this.compute(sql);
    if (key !== null) this.shapes!.set(key, sql, entry.analysis!, entry.decision);
    return this.remember(sql, entry);
  }

  private remember(sql: string, entry: Cached): Cached {
    // only cache reasonably small texts so a flood of huge statements cannot pin memory
    if (typeof sql === 'string' && sql.length <= 64 * 1024 && this.doorkeeper?.admit(sql)) this.cache!.set(sql, entry);
    return entry;
  }

  private compute(sql: string): Cached {
    const analysis = analyze(sql, this.config.maxStatementBytes, this.analyzeOpts);
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
            flags: verdict.flags?.length ? [...new Set([...a.flags, ...verdict.flags])] : a.flags,
            ...(verdict.clamp ? { clamp: verdict.clamp } : {}),
            ...(typeof a.options.prepared === 'string' ? { prepared: a.options.prepared } : {}),
            ...(a.columns ? { columns: a.columns } : {}),
          };
        }),
      );
    }
    return { analysis, decision };
  }

  analyze(sql: string): FullAnalysis {
    return this.analysisOf(sql, this.base(sql));
  }

  /** The entry's analysis, made now for a decision that came from its shape. */
  private analysisOf(sql: string, entry: Cached): FullAnalysis {
    return (entry.analysis ??= analyze(sql, this.config.maxStatementBytes, this.analyzeOpts));
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
    const executes = ctx.prepared !== undefined && ctx.prepared.size > 0 && base.decision.statements.some((s) => s.rule === 'ask.execute');
    const masking = this.masking;
    if ((rules.length === 0 && !untrusted && !executes && masking.length === 0) || base.decision.statements.length === 0)
      return base.decision;
    const statements = executes ? this.analysisOf(sql, base).statements : [];
    return combine(
      base.decision.statements.map((s, i) => {
        const run = executes ? this.executeOf(s, statements[i], ctx) : s;
        const checked = untrusted ? checkCatalog(run, catalog!) : run;
        const masked = masking.length ? checkMasking(masking, checked, ctx) : checked;
        return rules.length ? applyRules(rules, masked, ctx) : masked;
      }),
    );
  }

  /**
   * EXECUTE of a statement this session PREPAREd runs that statement: it gets the PREPARE's tier,
   * decided again now in the same context (rules, catalog, time), when its own arguments call only
   * safe functions. Any other EXECUTE stays `ask` (its statement is not in the request).
   */
  private executeOf(s: StatementDecision, a: AnalyzedStatement | undefined, ctx: PolicyContext): StatementDecision {
    const name = a?.options.prepared;
    const text = typeof name === 'string' ? ctx.prepared?.get(name) : undefined;
    if (s.rule !== 'ask.execute' || text === undefined) return s;
    if (a!.functions.some((f) => f.volatility === 'unknown' || (f.volatility === 'volatile' && !f.harmless))) return s;
    const inner = this.decide(text, { ...ctx, prepared: undefined });
    const rule = inner.decision === 'auto' ? 'auto.execute' : inner.rule;
    return { ...s, decision: inner.decision, rule, reason: `EXECUTE runs prepared statement ${name}: ${inner.reason}` };
  }

  cacheSize(): number {
    return this.cache?.size ?? 0;
  }
}
