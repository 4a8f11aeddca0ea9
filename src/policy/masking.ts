// The policy side of column masking: a statement that reads a table with masked columns may run
// only when those columns appear as plain columns of the top-level SELECT list (the doors mask them
// there, by their origin). Any other use — WHERE, JOIN, ORDER BY, GROUP BY, an expression, a
// subquery, a star or row value inside one, NATURAL joins, positions, COPY — could reveal a value
// one bit at a time: such a statement is `ask` with that reason. Never relaxes a verdict.
import type { ColumnUse, PolicyContext, StatementDecision } from '../domain/decision.js';
import { globMatch } from '../domain/glob.js';
import { ruleApplies } from '../domain/decision.js';
import { patternTable, type ColumnPattern, type CompiledMaskRule } from '../domain/masking.js';

const PROBE_TEXT: Record<ColumnUse['probes'][number], string> = {
  star: 'a * inside an expression or subquery',
  'whole-row': 'a whole-row value',
  natural: 'a NATURAL join',
  positional: 'ORDER BY or GROUP BY by position',
  copy: 'COPY of the whole table',
};

/** Catalog views that hold sample values of every column (most common values, histogram bounds). */
const STATISTICS = new Set(['pg_stats', 'pg_stats_ext', 'pg_stats_ext_exprs', 'pg_statistic', 'pg_statistic_ext_data']);
const readsStatistics = (s: StatementDecision) =>
  s.tablesRead.some((t) => STATISTICS.has(t.startsWith('pg_catalog.') ? t.slice('pg_catalog.'.length) : t));

/** The patterns of the rules for this agent and target that could cover a table this statement reads or writes. */
function patternsFor(rules: readonly CompiledMaskRule[], s: StatementDecision, ctx: PolicyContext): ColumnPattern[] {
  const tables = s.tablesRead.length + s.tablesWritten.length === 0 ? null : [...s.tablesRead, ...s.tablesWritten];
  const out: ColumnPattern[] = [];
  for (const r of rules) {
    if (!ruleApplies(r.rule, ctx)) continue;
    for (const p of r.patterns) if (tables !== null && tables.some((t) => patternTable(p, t))) out.push(p);
  }
  return out;
}

/** Why this statement's use of columns could reveal a masked value, or null. */
export function maskedUse(use: ColumnUse, patterns: readonly ColumnPattern[]): string | null {
  const masked = (name: string) => patterns.some((p) => globMatch(p.column, name));
  const used = use.used.find(masked);
  if (used !== undefined) return `it uses the masked column ${used} in WHERE, JOIN, ORDER BY, GROUP BY or an expression`;
  const alias = use.aliases.find(([a, col]) => masked(col) && use.used.some((u) => u.toLowerCase() === a.toLowerCase()));
  if (alias) return `it orders or groups by ${alias[0]}, the masked column ${alias[1]}`;
  const probe = use.probes.find((p) => p !== 'positional' || use.output.some((o) => o === '*' || masked(o)));
  if (probe) return `it reads a table with masked columns through ${PROBE_TEXT[probe]}`;
  return null;
}

/** The statement's verdict once masking is considered: auto becomes ask when a masked column could be probed. */
export function checkMasking(rules: readonly CompiledMaskRule[], s: StatementDecision, ctx: PolicyContext): StatementDecision {
  if (s.decision !== 'auto' || rules.length === 0) return s;
  if (readsStatistics(s) && rules.some((r) => ruleApplies(r.rule, ctx))) {
    return {
      ...s,
      decision: 'ask',
      rule: 'ask.masked-column',
      reason: 'a masked value could be revealed: the statistics views hold sample values of every column',
    };
  }
  const patterns = patternsFor(rules, s, ctx);
  if (patterns.length === 0) return s;
  const why = s.columns ? maskedUse(s.columns, patterns) : 'its use of columns is unknown';
  if (why === null) return s;
  return { ...s, decision: 'ask', rule: 'ask.masked-column', reason: `a masked value could be revealed: ${why}` };
}
