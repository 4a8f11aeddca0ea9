// Decisions shared by statements that differ only in their constants (pgbench -M simple, ORMs that
// inline values): PostgreSQL's own normalizer (libpg-query's pg_query_normalize, which replaces each
// constant the parser found with $n and leaves every other byte of the text as it was) gives the
// key, or a quick scan that finds the same constants at a fraction of its cost (shape-key.ts); a
// decision is shared only when no constant can have taken part in it (literalFree). A text that
// already holds a `$` (parameters, dollar quotes) is never keyed: its $n could collide with a
// normalized constant's. The first text of a shape is always decided in full.
import { LRUCache } from 'lru-cache';
import { isNormalizerReady, normalizedText } from '../sql/normalizer.js';
import { normalizedFromKey, shapeKey } from './shape-key.js';
import type { FullAnalysis, AnalyzedStatement } from './analyze.js';
import type { Decision, StatementDecision } from '../domain/decision.js';

/** Statement types whose decision never reads a constant unless a function or setting below does. */
const SHAPE_NODES = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** Functions whose constant arguments the policy reads (pg_sleep's length, set_config's name and value). */
const READS_ARGUMENTS = new Set(['set_config', 'pg_sleep', 'pg_sleep_for', 'pg_sleep_until']);

/**
 * Normalized keys start with a NUL, which no quick key holds (a text with a NUL is never keyed). The
 * quick key, the common one, is used as it is: its hash is computed once for both of its lookups.
 */
const NORMALIZED = '\u0000';

/** Longer texts are rarely repeated with other constants; they are decided in full. */
const MAX_KEYED_LENGTH = 8 * 1024;

/**
 * Whether no constant took part in this analysis: one plain DML/SELECT statement, no inner
 * statement, no setting change, and no function whose constant arguments the policy reads.
 */
export function literalFree(a: FullAnalysis): boolean {
  if (!a.ok || a.statements.length !== 1) return false;
  const s: AnalyzedStatement = a.statements[0];
  if (!SHAPE_NODES.has(s.node) || s.inner || s.settings.length > 0) return false;
  for (const f of s.functions) if (READS_ARGUMENTS.has(f.name.toLowerCase())) return false;
  return true;
}

/** The statement's text as the parser cuts a lone statement: trimmed, one final `;` dropped. */
export function loneStatementText(sql: string): string {
  const t = sql.trim();
  return t.endsWith(';') ? t.slice(0, -1).trim() : t;
}

/** A decision taken from its shape: a plain decision to JSON and spreads, which leave its origin out. */
class ShapedDecision implements Decision {
  readonly #origin: Decision;
  decision: Decision['decision'];
  rule: string;
  reason: string;
  statements: StatementDecision[];

  constructor(origin: Decision, sql: string) {
    this.#origin = origin;
    this.decision = origin.decision;
    this.rule = origin.rule;
    this.reason = origin.reason;
    this.statements = [{ ...origin.statements[0], sql }];
  }

  static originOf(d: Decision): Decision | undefined {
    return d instanceof ShapedDecision ? d.#origin : undefined;
  }
}

/**
 * The decision a shaped one was copied from: the same in every field but its statement's text, so
 * what is derived from those fields alone (an audit line's constant parts) can be kept per shape.
 */
export const shapeOrigin = (d: Decision): Decision | undefined => ShapedDecision.originOf(d);

export class ShapeCache {
  private readonly shapes: LRUCache<string, Decision>;
  /** quick keys of texts the normalizer read otherwise than the quick scan */
  private readonly misread: LRUCache<string, true>;
  /** misses seen, texts normalized and shapes found (see window()) */
  private misses = 0;
  private keyed = 0;
  private hits = 0;

  /** `adaptive: false` keys every miss (tests that prove the shortcut changes no decision) */
  constructor(
    max: number,
    private readonly adaptive = true,
  ) {
    this.shapes = new LRUCache({ max });
    this.misread = new LRUCache({ max });
  }

  /** decisions taken from their shape (all of them when not adaptive; else a recent count) */
  get found(): number {
    return this.hits;
  }

  /**
   * The key of a text, or null when it is not worth one or cannot have one: the quick key
   * (shape-key.ts) when it reads the text and its shape was not found to read otherwise, else the
   * normalized text, kept for when normalizing is worth it (worthNormalizing).
   */
  key(sql: string): string | null {
    if (!isNormalizerReady() || sql.length > MAX_KEYED_LENGTH) return null;
    const quick = shapeKey(sql);
    if (quick !== null && !this.misread.has(quick)) return quick;
    if (sql.includes('$') || !this.worthNormalizing()) return null;
    const normalized = normalizedText(sql);
    return normalized === null ? null : NORMALIZED + normalized;
  }

  /** The key came from the quick scan, not the normalizer: keying this text again costs little. */
  static quick(key: string): boolean {
    return !key.startsWith(NORMALIZED);
  }

  /**
   * Normalizing costs about half a parse, so while fewer than one normalized text in 8 finds its
   * shape (a corpus of distinct statements) only one miss in 16 is; all are again as soon as shapes
   * are found.
   */
  private worthNormalizing(): boolean {
    this.misses++;
    if (this.adaptive && this.hits * 8 < this.keyed && this.misses % 16 !== 0) return false;
    this.keyed++;
    this.window();
    return true;
  }

  /** keeps the rate a recent one: both counts halve once they reach 2048 together */
  private window(): void {
    if (this.adaptive && this.hits + this.keyed >= 2048) {
      this.keyed >>= 1;
      this.hits >>= 1;
    }
  }

  /** A decision for `sql` from a statement of the same shape, or null. */
  get(key: string, sql: string): Decision | null {
    const d = this.shapes.get(key);
    if (!d) return null;
    this.hits++;
    this.window();
    return new ShapedDecision(d, loneStatementText(sql));
  }

  /**
   * Keep a decision for its shape when no constant took part in it and its text is cut as expected.
   * Under a quick key only when the normalizer finds its constants exactly where the quick scan did;
   * otherwise that quick key is never used again and the shape is kept under the normalized text.
   */
  set(key: string, sql: string, analysis: FullAnalysis, decision: Decision): void {
    if (!literalFree(analysis) || decision.statements[0]?.sql !== loneStatementText(sql)) return;
    let kept = key;
    if (ShapeCache.quick(key)) {
      const normalized = this.worthNormalizing() ? normalizedText(sql) : null;
      if (normalized === null) return;
      if (normalized !== normalizedFromKey(key)) {
        this.misread.set(key, true);
        kept = NORMALIZED + normalized;
      }
    }
    this.shapes.set(kept, decision);
  }

  get size(): number {
    return this.shapes.size;
  }
}
