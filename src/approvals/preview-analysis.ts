// Refusals that the policy's own analysis already justifies, before any connection is made.
// The preview still runs its own parse and catalog checks; this only short-circuits.
import type { Analysis, RiskFlag, StatementAnalysis } from '../domain/decision.js';

const ESCAPING_FLAGS: Partial<Record<RiskFlag, string>> = {
  'sequence-advance': 'would advance a sequence',
  'escapes-rollback': 'has effects that a rollback does not undo',
  'volatile-function': 'calls a volatile function',
  'unknown-function': 'calls a function Airlock does not know',
  'dangerous-function': 'calls a function with effects outside the database',
  'server-file-access': 'reaches server files',
};

const isStatement = (a: unknown): a is StatementAnalysis =>
  Boolean(a) && typeof a === 'object' && typeof (a as StatementAnalysis).kind === 'string' && Array.isArray((a as StatementAnalysis).flags);

function statementRefusal(s: StatementAnalysis): string | null {
  if (s.kind === 'notify') return 'NOTIFY/LISTEN act outside the transaction';
  for (const f of s.flags ?? []) if (ESCAPING_FLAGS[f]) return ESCAPING_FLAGS[f]!;
  for (const fn of s.functions ?? []) {
    const name = String(fn.name).toLowerCase();
    if (name.startsWith('dblink')) return `calls ${name}, which runs SQL on another connection`;
    if (name === 'nextval' || name === 'setval') return `calls ${name}, which would advance a sequence`;
    if (name === 'pg_notify') return 'calls pg_notify';
  }
  return null;
}

/** A reason to refuse taken from an Analysis, a StatementAnalysis or a list of them, or null. */
export function analysisRefusal(analysis: unknown): string | null {
  if (!analysis || typeof analysis !== 'object') return null;
  if (Array.isArray(analysis)) {
    for (const s of analysis) {
      const why = analysisRefusal(s);
      if (why) return why;
    }
    return null;
  }
  if (isStatement(analysis)) return statementRefusal(analysis);
  const a = analysis as Analysis;
  if (a.ok === false) return `does not parse: ${a.error ?? 'unknown error'}`;
  for (const s of Array.isArray(a.statements) ? a.statements : []) {
    const why = isStatement(s) ? statementRefusal(s) : null;
    if (why) return why;
  }
  return null;
}
