// What a preview must know about a parse tree before running it: every function, operator,
// relation and type it names, nested writes, and which target columns fall back to their
// DEFAULT (a serial default advances a sequence, which no ROLLBACK undoes). Pure: tree in, facts out.
import { nodeOf, strings, type NodeFields, type T } from '../sql/tree.js';

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

function qualified(list: T.Node[] | undefined): QualifiedName {
  const parts = strings(list);
  return { schema: parts.length > 1 ? parts[parts.length - 2] : null, name: parts[parts.length - 1] ?? '' };
}

function constString(node: unknown): string | null {
  const c = nodeOf(node, 'A_Const');
  if (c?.sval) return String(c.sval.sval ?? '');
  const cast = nodeOf(node, 'TypeCast');
  if (cast) return constString(cast.arg);
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
    for (const [key, child] of Object.entries(v)) {
      // `key` names the node kind of `child` (typed fields are walked too, and match no case)
      const c = child as NodeFields[keyof NodeFields];
      switch (key) {
        case 'FuncCall': {
          const f = c as T.FuncCall;
          facts.functions.push({ ...qualified(f.funcname), constArgs: (f.args ?? []).map(constString) });
          break;
        }
        case 'A_Expr': {
          const e = c as T.A_Expr;
          // BETWEEN is spelled as a keyword here and uses the ordinary comparison operators
          if (Array.isArray(e.name) && !String(e.kind).startsWith('AEXPR_BETWEEN')) facts.operators.push(qualified(e.name));
          break;
        }
        case 'RangeVar': {
          const r = c as T.RangeVar;
          facts.relations.push({ schema: r.schemaname ?? null, name: String(r.relname ?? '') });
          break;
        }
        case 'TypeName':
          facts.types.push(qualified((c as T.TypeName).names));
          break;
        case 'TypeCast': {
          const t = c as T.TypeCast;
          if (t.typeName) facts.types.push(qualified(t.typeName.names));
          break;
        }
        case 'SQLValueFunction':
          if (TIME_SVF.has(String((c as T.SQLValueFunction).op))) facts.timeDependent = true;
          break;
        case 'CurrentOfExpr':
          facts.currentOf = true;
          break;
        case 'CommonTableExpr': {
          const cte = c as T.CommonTableExpr;
          if (cte.ctename) ctes.add(String(cte.ctename));
          break;
        }
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

const SET_TO_DEFAULT = (n: unknown) => nodeOf(n, 'SetToDefault') !== undefined;

/** Columns an UPDATE-style SET list assigns DEFAULT to (`a = DEFAULT`, `(a, b) = (DEFAULT, 1)`). */
function setListDefaults(targetList: T.Node[] | undefined, out: Set<string>): void {
  for (const t of targetList ?? []) {
    const rt = nodeOf(t, 'ResTarget');
    if (!rt?.name) continue;
    if (SET_TO_DEFAULT(rt.val)) out.add(String(rt.name));
    const multi = nodeOf(rt.val, 'MultiAssignRef');
    const args = nodeOf(multi?.source, 'RowExpr')?.args;
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

function selectRows(select: T.Node | undefined): unknown[][] | null {
  const s = nodeOf(select, 'SelectStmt');
  if (!s) return null;
  if (Array.isArray(s.valuesLists)) return s.valuesLists.map((l) => nodeOf(l, 'List')?.items ?? []);
  const tl = s.targetList;
  // a plain SELECT list without * fills exactly its width
  if (s.op === 'SETOP_NONE' && tl && !JSON.stringify(tl).includes('"A_Star"')) return [tl];
  return null;
}

/**
 * The target columns whose DEFAULT (or identity sequence) this statement evaluates,
 * given the table's columns in order. Conservative where the tree cannot tell.
 */
export function defaultedColumns(node: string, tree: object, columns: string[]): Set<string> {
  const out = new Set<string>();
  const names = (list: T.Node[] | undefined) => (list?.length ? list.map((t) => String(nodeOf(t, 'ResTarget')?.name)) : null);
  if (node === 'InsertStmt') {
    const ins = tree as T.InsertStmt;
    if (!ins.selectStmt)
      columns.forEach((c) => out.add(c)); // DEFAULT VALUES
    else insertDefaults(names(ins.cols), selectRows(ins.selectStmt), columns, out);
    setListDefaults(ins.onConflictClause?.targetList, out);
  } else if (node === 'UpdateStmt') {
    setListDefaults((tree as T.UpdateStmt).targetList, out);
  } else if (node === 'MergeStmt') {
    for (const w of (tree as T.MergeStmt).mergeWhenClauses ?? []) {
      const clause = nodeOf(w, 'MergeWhenClause');
      if (clause?.commandType === 'CMD_INSERT') {
        const values = clause.values ?? [];
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
export function updatedColumns(node: string, tree: object): Set<string> {
  const lists: (T.Node[] | undefined)[] =
    node === 'UpdateStmt'
      ? [(tree as T.UpdateStmt).targetList]
      : node === 'InsertStmt'
        ? [(tree as T.InsertStmt).onConflictClause?.targetList]
        : node === 'MergeStmt'
          ? mergeClauses(tree)
              .filter((c) => c.commandType === 'CMD_UPDATE')
              .map((c) => c.targetList)
          : [];
  const out = new Set<string>();
  for (const list of lists) {
    for (const t of list ?? []) {
      const name = nodeOf(t, 'ResTarget')?.name;
      if (name) out.add(String(name));
    }
  }
  return out;
}

const mergeClauses = (tree: object): T.MergeWhenClause[] =>
  ((tree as T.MergeStmt).mergeWhenClauses ?? []).map((w) => nodeOf(w, 'MergeWhenClause') ?? {});

/** Which kinds of row change a statement makes, for following ON UPDATE / ON DELETE actions. */
export function writeActions(node: string, tree: object): { update: boolean; delete: boolean; insert: boolean } {
  if (node === 'InsertStmt') return { insert: true, update: Boolean((tree as T.InsertStmt).onConflictClause?.targetList), delete: false };
  if (node === 'UpdateStmt') return { insert: false, update: true, delete: false };
  if (node === 'DeleteStmt') return { insert: false, update: false, delete: true };
  const types = mergeClauses(tree).map((c) => c.commandType);
  return { insert: types.includes('CMD_INSERT'), update: types.includes('CMD_UPDATE'), delete: types.includes('CMD_DELETE') };
}
