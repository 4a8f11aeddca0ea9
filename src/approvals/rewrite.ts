// Rewrites for preview and execution, done on the parse tree and deparsed with pgsql-parser.
// Every rewrite is re-parsed and compared node for node with the tree we meant to produce,
// so a deparser quirk can never run a different statement than the one that was approved.
import { initParser, parseStatements as parseRaw } from '../sql/parser.js';
import { nodeOf, type ParsedStatement, type T } from '../sql/tree.js';
import { deparseSync } from 'pgsql-parser';

export type { ParsedStatement };

/** Load the WASM parser once per process (the policy engine's loader). */
export const ensureParser = initParser;

/** Parse SQL into statements with the policy engine's parser; throws its message on an error. */
export function parseStatements(sql: string): ParsedStatement[] {
  const result = parseRaw(sql);
  if (!result.ok) throw new Error(result.error);
  return result.statements.map((s) => ({ node: s.node, tree: s.tree, text: s.sql }));
}

/** The statements, or why they cannot be used ("does not parse: …"); for callers that report reasons. */
export function statementsOrReason(sql: string): ParsedStatement[] | string {
  try {
    return parseStatements(sql);
  } catch (err) {
    return `does not parse: ${(err as Error).message}`;
  }
}

/** A deep copy without parser locations and with sorted keys: the form in which trees are compared. */
export function stripLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripLocations);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (k === 'location' || k === 'stmt_location' || k === 'stmt_len') continue;
      out[k] = stripLocations(v);
    }
    return out;
  }
  return value;
}

const sameTree = (a: unknown, b: unknown) => JSON.stringify(stripLocations(a)) === JSON.stringify(stripLocations(b));

export class RewriteError extends Error {}

/** Deparse `{[node]: tree}`, re-parse, and insist on exactly that tree coming back. */
export function deparseVerified(node: string, tree: object): string {
  let sql: string;
  try {
    sql = deparseSync({ [node]: tree } as never);
  } catch (err) {
    throw new RewriteError(`cannot deparse rewritten ${node}: ${(err as Error).message}`);
  }
  let again: ParsedStatement[];
  try {
    again = parseStatements(sql);
  } catch (err) {
    throw new RewriteError(`rewritten ${node} does not parse: ${(err as Error).message}`);
  }
  if (again.length !== 1 || again[0].node !== node) {
    throw new RewriteError(`rewritten ${node} became ${again.map((s) => s.node).join(', ') || 'nothing'}`);
  }
  if (!sameTree(again[0].tree, tree)) throw new RewriteError(`rewritten ${node} does not round-trip through the deparser`);
  return sql;
}

/** The name by which the statement's target table is referenced (its alias, else its name). */
export function targetRef(tree: { relation?: T.RangeVar }): string {
  const rel = tree.relation;
  return String(rel?.alias?.aliasname ?? rel?.relname ?? '');
}

const starOf = (ref: string): T.Node => ({
  ResTarget: { val: { ColumnRef: { fields: [{ String: { sval: ref } }, { A_Star: {} }] } } },
});

/** INSERT/UPDATE/DELETE without RETURNING → the same statement with `RETURNING target.*`. */
export function addReturning(node: string, tree: object): object | null {
  if (node !== 'InsertStmt' && node !== 'UpdateStmt' && node !== 'DeleteStmt') return null;
  const write = tree as T.InsertStmt | T.UpdateStmt | T.DeleteStmt;
  if (Array.isArray(write.returningList) && write.returningList.length > 0) return null;
  return { ...write, returningList: [starOf(targetRef(write))] };
}

/** Renumber $n so a derived statement only carries the parameters it uses. */
function renumberParams(tree: unknown, params: unknown[]): { tree: unknown; params: unknown[] } {
  const map = new Map<number, number>();
  const out: unknown[] = [];
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(visit);
    if (!v || typeof v !== 'object') return v;
    const ref = nodeOf(v, 'ParamRef');
    if (ref && typeof ref.number === 'number') {
      const old = ref.number;
      if (!map.has(old)) {
        map.set(old, map.size + 1);
        out.push(params[old - 1]);
      }
      return { ParamRef: { ...ref, number: map.get(old) } };
    }
    const copy: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) copy[k] = visit(val);
    return copy;
  };
  return { tree: visit(tree), params: out };
}

/**
 * The rows an UPDATE will change, as a SELECT over the same relation, FROM list, WHERE and WITH:
 * the before-image. `limit` caps it (the sample shown next to the new values); `lock` takes the
 * target rows FOR UPDATE, as execution does before comparing them with what the reviewer saw.
 */
export function beforeImageSelect(update: T.UpdateStmt, params: unknown[], opts: { limit?: number; lock?: boolean } = {}) {
  const ref = targetRef(update);
  const select: T.SelectStmt = {
    targetList: [starOf(ref)],
    fromClause: [{ RangeVar: update.relation ?? {} }, ...(update.fromClause ?? [])],
    ...(update.whereClause ? { whereClause: update.whereClause } : {}),
    ...(update.withClause ? { withClause: update.withClause } : {}),
    ...(opts.limit !== undefined
      ? { limitCount: { A_Const: { ival: { ival: opts.limit } } }, limitOption: 'LIMIT_OPTION_COUNT' as const }
      : { limitOption: 'LIMIT_OPTION_DEFAULT' as const }),
    ...(opts.lock
      ? {
          lockingClause: [
            {
              LockingClause: {
                lockedRels: [{ RangeVar: { relname: ref, inh: true, relpersistence: 'p' } }],
                strength: 'LCS_FORUPDATE' as const,
                waitPolicy: 'LockWaitBlock' as const,
              },
            },
          ],
        }
      : {}),
    op: 'SETOP_NONE',
  };
  const renumbered = renumberParams(select, params);
  return { sql: deparseVerified('SelectStmt', renumbered.tree as object), params: renumbered.params };
}

export const PREVIEWABLE = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

export interface RunnableStatement {
  stmt: ParsedStatement;
  /** the text sent to PostgreSQL: the original, or the verified RETURNING rewrite */
  text: string;
  /** RETURNING was added by us: the agent did not ask for rows back */
  addedReturning: boolean;
}

/**
 * The form in which preview and execution both run a write, so their row digests compare:
 * rows come back through RETURNING (ours when the agent wrote none; MERGE has none in PG15).
 */
export function runnable(stmt: ParsedStatement, originalSql: string): RunnableStatement {
  const rewritten = addReturning(stmt.node, stmt.tree);
  if (!rewritten) return { stmt, text: originalSql, addedReturning: false };
  return { stmt, text: deparseVerified(stmt.node, rewritten), addedReturning: true };
}
