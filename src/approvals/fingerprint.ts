// The shape of a request, for standing approvals: a fingerprint that ignores constants (and where
// they were written), in the manner of pg_query's fingerprint, and the constants themselves in text
// order (`literals` in a standing approval's condition). Two requests with the same fingerprint are
// the same statements on the same names with the same operators; only their values differ.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json.js';
import { nodeOf } from '../sql/tree.js';
import { ensureParser, statementsOrReason } from './rewrite.js';

export interface StatementShape {
  /** hex sha256 of the statements' trees with constants and locations removed */
  fingerprint: string;
  /** the constants, in the order they appear in the text (numbers as numbers, NULL as null) */
  literals: unknown[];
}

const LOCATION_KEYS = new Set(['location', 'stmt_location', 'stmt_len']);

/** The tree with every constant replaced by `?` and every location dropped; constants collected. */
function normalize(value: unknown, found: { at: number; value: unknown }[]): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v, found));
  if (!value || typeof value !== 'object') return value;
  const c = nodeOf(value, 'A_Const');
  if (c && Object.keys(value).length === 1) {
    found.push({ at: Number(c.location ?? 0), value: constValue(c as Record<string, unknown>) });
    return '?';
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!LOCATION_KEYS.has(k)) out[k] = normalize(v, found);
  return out;
}

/** An A_Const's value; protobuf leaves zero, false and '' out of the tree. */
function constValue(c: Record<string, unknown>): unknown {
  const inner = (key: string) => (c[key] as Record<string, unknown> | undefined)?.[key];
  if (c.isnull) return null;
  if (c.ival) return Number(inner('ival') ?? 0);
  if (c.fval) {
    // integers too long for int4 come as fval: keep them exact (CEL ints are 64-bit)
    const t = String(inner('fval') ?? '0');
    return /^-?\d+$/.test(t) && BigInt.asIntN(64, BigInt(t)) === BigInt(t) ? BigInt(t) : Number(t);
  }
  if (c.boolval) return Boolean(inner('boolval') ?? false);
  if (c.sval) return String(inner('sval') ?? '');
  if (c.bsval) return String(inner('bsval') ?? '');
  return null;
}

/** The shape of `sql`, or a reason when it does not parse (then no standing approval applies). */
export async function statementShape(sql: string): Promise<StatementShape | string> {
  await ensureParser();
  const stmts = statementsOrReason(sql);
  if (typeof stmts === 'string') return stmts;
  if (stmts.length === 0) return 'empty statement';
  const found: { at: number; value: unknown }[] = [];
  let normalized: unknown;
  try {
    normalized = stmts.map((s) => ({ [s.node]: normalize(s.tree, found) }));
  } catch (err) {
    if (err instanceof RangeError) return 'statement too deeply nested';
    throw err;
  }
  const fingerprint = createHash('sha256')
    .update(`airlock-fingerprint-v1\n${canonicalJson(normalized)}`)
    .digest('hex');
  found.sort((a, b) => a.at - b.at);
  return { fingerprint, literals: found.map((f) => f.value) };
}
