// What a preview must know about a parse tree before running it: every function, operator,
// relation and type it names, nested writes, and which target columns fall back to their
// DEFAULT (a serial default advances a sequence, which no ROLLBACK undoes). Pure: tree in, facts out.
import type { Node } from './rewrite.js';

export interface QualifiedName {
  schema: string | null;
  name: string;
}

export interface FunctionUse extends QualifiedName {
  /** constant string arguments, e.g. the sequence name in nextval('s') */
  constArgs: (string | null)[];
}

export interface TreeFacts {
  functions: FunctionUse[];
  operators: QualifiedName[];
  relations: QualifiedName[];
  types: QualifiedName[];
  /** CURRENT_TIMESTAMP and friends: the written rows differ from run to run */
  timeDependent: boolean;
  /** INSERT/UPDATE/DELETE/MERGE below the walked node (writable CTEs) */
  nestedWrites: string[];
  currentOf: boolean;
}

export const emptyFacts = (): TreeFacts => ({
  functions: [],
  operators: [],
  relations: [],
  types: [],
  timeDependent: false,
  nestedWrites: [],
  currentOf: false,
});

const WRITE_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
const TIME_SVF = new Set([
  'SVFOP_CURRENT_DATE',
  'SVFOP_CURRENT_TIME',
  'SVFOP_CURRENT_TIME_N',
  'SVFOP_CURRENT_TIMESTAMP',
  'SVFOP_CURRENT_TIMESTAMP_N',
  'SVFOP_LOCALTIME',
  'SVFOP_LOCALTIME_N',
  'SVFOP_LOCALTIMESTAMP',
  'SVFOP_LOCALTIMESTAMP_N',
]);

const strings = (list: unknown): string[] => (Array.isArray(list) ? list : []).map((p) => String((p as Node)?.String?.sval ?? ''));

function qualified(list: unknown): QualifiedName {
  const parts = strings(list);
  return { schema: parts.length > 1 ? parts[parts.length - 2] : null, name: parts[parts.length - 1] ?? '' };
}

function constString(node: unknown): string | null {
  const n = node as Node | undefined;
  if (n?.A_Const?.sval) return String(n.A_Const.sval.sval ?? '');
  if (n?.TypeCast) return constString(n.TypeCast.arg);
  return null;
}

/**
 * Walk every node (iteratively: trees can be very deep) and add what it names to `facts`.
 * CTE names are not relations; they are dropped from `relations` at the end.
 */
export function collectFacts(root: unknown, facts: TreeFacts = emptyFacts()): TreeFacts {
  const ctes = new Set<string>();
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    for (const [key, child] of Object.entries(v as Node)) {
      const c = child as Node;
      switch (key) {
        case 'FuncCall':
          facts.functions.push({ ...qualified(c.funcname), constArgs: (c.args ?? []).map(constString) });
          break;
        case 'A_Expr':
          // BETWEEN is spelled as a keyword here and uses the ordinary comparison operators
          if (Array.isArray(c.name) && !String(c.kind).startsWith('AEXPR_BETWEEN')) facts.operators.push(qualified(c.name));
          break;
        case 'RangeVar':
          facts.relations.push({ schema: c.schemaname ?? null, name: String(c.relname ?? '') });
          break;
        case 'TypeName':
          facts.types.push(qualified(c.names));
          break;
        case 'TypeCast':
          if (c.typeName) facts.types.push(qualified(c.typeName.names));
          break;
        case 'SQLValueFunction':
          if (TIME_SVF.has(String(c.op))) facts.timeDependent = true;
          break;
        case 'CurrentOfExpr':
          facts.currentOf = true;
          break;
        case 'CommonTableExpr':
          if (c.ctename) ctes.add(String(c.ctename));
          break;
        default:
          if (WRITE_NODES.has(key)) facts.nestedWrites.push(key);
      }
      if (child && typeof child === 'object') stack.push(child);
    }
  }
  // an unqualified name that matches a CTE is the CTE, not a table (the CTE body is walked anyway)
  facts.relations = facts.relations.filter((r) => r.schema !== null || !ctes.has(r.name));
  return facts;
}

const SET_TO_DEFAULT = (n: unknown) => Boolean((n as Node | undefined)?.SetToDefault);

/** Columns an UPDATE-style SET list assigns DEFAULT to (`a = DEFAULT`, `(a, b) = (DEFAULT, 1)`). */
function setListDefaults(targetList: unknown, out: Set<string>): void {
  for (const t of (Array.isArray(targetList) ? targetList : []) as Node[]) {
    const rt = t.ResTarget as Node | undefined;
    if (!rt?.name) continue;
    const val = rt.val as Node | undefined;
    if (SET_TO_DEFAULT(val)) out.add(String(rt.name));
    const multi = val?.MultiAssignRef as Node | undefined;
    const args = multi?.source?.RowExpr?.args as unknown[] | undefined;
    if (multi && args && SET_TO_DEFAULT(args[(multi.colno ?? 1) - 1])) out.add(String(rt.name));
  }
}

/** One INSERT action: named columns (or null), rows of values (or null when not a VALUES list). */
function insertDefaults(cols: string[] | null, rows: unknown[][] | null, columns: string[], out: Set<string>): void {
  if (rows === null) {
    // INSERT ... SELECT without a column list: we cannot tell how many columns it fills
    if (cols === null) columns.forEach((c) => out.add(c));
    else columns.filter((c) => !cols.includes(c)).forEach((c) => out.add(c));
    return;
  }
  const width = rows.length ? Math.min(...rows.map((r) => r.length)) : 0;
  const supplied = cols ?? columns.slice(0, width);
  columns.filter((c) => !supplied.includes(c)).forEach((c) => out.add(c));
  for (const row of rows) row.forEach((item, i) => SET_TO_DEFAULT(item) && supplied[i] !== undefined && out.add(supplied[i]));
}

function selectRows(select: Node | undefined): unknown[][] | null {
  const s = select?.SelectStmt as Node | undefined;
  if (!s) return null;
  if (Array.isArray(s.valuesLists)) return (s.valuesLists as Node[]).map((l) => (l.List?.items as unknown[]) ?? []);
  const tl = s.targetList as Node[] | undefined;
  // a plain SELECT list without * fills exactly its width
  if (s.op === 'SETOP_NONE' && tl && !JSON.stringify(tl).includes('"A_Star"')) return [tl];
  return null;
}

/**
 * The target columns whose DEFAULT (or identity sequence) this statement evaluates,
 * given the table's columns in order. Conservative where the tree cannot tell.
 */
export function defaultedColumns(node: string, tree: Node, columns: string[]): Set<string> {
  const out = new Set<string>();
  const names = (list: unknown) => (Array.isArray(list) && list.length ? (list as Node[]).map((t) => String(t.ResTarget?.name)) : null);
  if (node === 'InsertStmt') {
    if (!tree.selectStmt)
      columns.forEach((c) => out.add(c)); // DEFAULT VALUES
    else insertDefaults(names(tree.cols), selectRows(tree.selectStmt), columns, out);
    setListDefaults(tree.onConflictClause?.targetList, out);
  } else if (node === 'UpdateStmt') {
    setListDefaults(tree.targetList, out);
  } else if (node === 'MergeStmt') {
    for (const w of (tree.mergeWhenClauses ?? []) as Node[]) {
      const clause = w.MergeWhenClause as Node;
      if (clause?.commandType === 'CMD_INSERT') {
        const values = (clause.values as unknown[] | undefined) ?? [];
        if (values.length === 0) columns.forEach((c) => out.add(c));
        else insertDefaults(names(clause.targetList), [values], columns, out);
      } else if (clause?.commandType === 'CMD_UPDATE') {
        setListDefaults(clause.targetList, out);
      }
    }
  }
  return out;
}

/** Columns an UPDATE (or ON CONFLICT DO UPDATE / MERGE … UPDATE) assigns; others keep their values. */
export function updatedColumns(node: string, tree: Node): Set<string> {
  const lists: unknown[] =
    node === 'UpdateStmt'
      ? [tree.targetList]
      : node === 'InsertStmt'
        ? [tree.onConflictClause?.targetList]
        : node === 'MergeStmt'
          ? ((tree.mergeWhenClauses ?? []) as Node[])
              .filter((w) => w.MergeWhenClause?.commandType === 'CMD_UPDATE')
              .map((w) => w.MergeWhenClause.targetList)
          : [];
  const out = new Set<string>();
  for (const list of lists)
    for (const t of (Array.isArray(list) ? list : []) as Node[]) if (t.ResTarget?.name) out.add(String(t.ResTarget.name));
  return out;
}

/** Which kinds of row change a statement makes, for following ON UPDATE / ON DELETE actions. */
export function writeActions(node: string, tree: Node): { update: boolean; delete: boolean; insert: boolean } {
  if (node === 'InsertStmt') return { insert: true, update: Boolean(tree.onConflictClause?.targetList), delete: false };
  if (node === 'UpdateStmt') return { insert: false, update: true, delete: false };
  if (node === 'DeleteStmt') return { insert: false, update: false, delete: true };
  const types = ((tree.mergeWhenClauses ?? []) as Node[]).map((w) => w.MergeWhenClause?.commandType);
  return { insert: types.includes('CMD_INSERT'), update: types.includes('CMD_UPDATE'), delete: types.includes('CMD_DELETE') };
}
