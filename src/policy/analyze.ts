// SQL text → Analysis: one entry per statement, built only from the libpg-query tree.
import { parseStatements, precheck } from '../sql/parser.js';
import { removedObject, statementKind } from './statement-kind.js';
import { walk, constValue, type TableRef } from './walk.js';
import { columnUse } from './column-use.js';
import type { Analysis, ColumnUse, SettingChange, StatementAnalysis } from '../domain/decision.js';

type Obj = Record<string, unknown>;

export interface AnalyzedStatement extends StatementAnalysis {
  /** the explained / prepared / declared / copied statement, analysed on its own */
  inner?: AnalyzedStatement;
  /** EXPLAIN ANALYZE, COPY direction, transaction kind, ... */
  options: Record<string, unknown>;
  /** functions that are blocked wherever they appear, with the reason */
  blockedFunctions: { name: string; reason: string }[];
  /** how it uses columns (only when asked for: masking rules exist) */
  columns?: ColumnUse;
}

export interface FullAnalysis extends Analysis {
  statements: AnalyzedStatement[];
}

const tableName = (t: TableRef) => (t.schema ? `${t.schema}.${t.name}` : t.name);
const unique = (xs: string[]) => [...new Set(xs)];

/** Analyse every statement of a request; fail-closed errors come back in `error`. */
export function analyze(sql: string, maxBytes = 1024 * 1024, opts: { columns?: boolean } = {}): FullAnalysis {
  const refused = precheck(sql, maxBytes);
  if (refused) return { ok: false, error: refused, statements: [] };
  const parsed = parseStatements(sql);
  if (!parsed.ok) return { ok: false, error: parsed.error, statements: [] };
  const statements = parsed.statements.map((s, index) => {
    const a = analyzeNode(s.node, s.tree, { index, sql: s.sql, location: s.location, length: s.length });
    if (opts.columns) a.columns = columnUse(s.node, s.tree);
    return a;
  });
  return { ok: true, statements };
}

function defElemValue(d: Obj): unknown {
  if (!d.arg) return true; // `EXPLAIN (ANALYZE)` means on
  const v = constValue(d.arg);
  if (v !== undefined) return v;
  const s = ((d.arg as Obj).String as Obj | undefined)?.sval;
  return s ?? true;
}

function defElems(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of Array.isArray(list) ? list : []) {
    const d = (item as Obj).DefElem as Obj | undefined;
    if (d && typeof d.defname === 'string') out[d.defname] = defElemValue(d);
  }
  return out;
}

/** Truthiness as PostgreSQL reads boolean options; anything unclear counts as on (fail closed). */
export function isOn(v: unknown): boolean {
  if (v === false || v === 0) return false;
  if (typeof v === 'string') return !['false', 'off', '0', 'no', 'f', 'n'].includes(v.toLowerCase());
  return true;
}

function settingsOf(node: string, tree: Obj, functions: StatementAnalysis['functions']): SettingChange[] {
  const out: SettingChange[] = [];
  if (node === 'VariableSetStmt') {
    const kind = String(tree.kind);
    const name = String(tree.name ?? '').toLowerCase();
    const local = Boolean(tree.is_local);
    if (kind === 'VAR_RESET_ALL') out.push({ name: 'all', action: 'reset', value: null, local });
    else if (kind === 'VAR_RESET') out.push({ name, action: 'reset', value: null, local });
    else if (kind === 'VAR_SET_MULTI') {
      for (const [opt, v] of Object.entries(defElems(tree.args))) {
        out.push({ name: opt, action: 'set-transaction', value: v === undefined ? null : String(v), local });
      }
      if (out.length === 0) out.push({ name, action: 'set-transaction', value: null, local });
    } else if (kind === 'VAR_SET_DEFAULT' || kind === 'VAR_SET_CURRENT') {
      out.push({ name, action: 'reset', value: null, local });
    } else {
      const args = Array.isArray(tree.args) ? tree.args : [];
      const values = args.map((a) => constValue(a));
      const value = values.some((v) => v === undefined || v === null) ? null : values.map(String).join(', ');
      out.push({ name, action: 'set', value, local });
    }
  }
  if (node === 'TransactionStmt') {
    for (const [opt, v] of Object.entries(defElems(tree.options))) {
      out.push({ name: opt, action: 'set-transaction', value: String(v), local: true });
    }
  }
  const fromSettings = node === 'SelectStmt' ? settingNamedByWhere(tree) : null;
  for (const f of functions) {
    if (f.name.toLowerCase() !== 'set_config') continue;
    const [name, value, isLocal] = f.constArgs;
    const named = typeof name === 'string' ? name : fromSettings;
    out.push({
      name: named !== null && f.name === 'set_config' ? named.toLowerCase() : '',
      action: 'set_config',
      value: value === null || value === undefined ? null : String(value),
      local: isLocal === 'true',
    });
  }
  return out;
}

const isColumn = (n: unknown, col: string) => {
  const fields = ((n as Obj | undefined)?.ColumnRef as Obj | undefined)?.fields;
  return Array.isArray(fields) && fields.length === 1 && ((fields[0] as Obj).String as Obj | undefined)?.sval === col;
};
const isStringConst = (n: unknown) => typeof constValue(n) === 'string' && Boolean((n as Obj).A_Const);
const SETTINGS_QUERY_KEYS = new Set(['targetList', 'fromClause', 'whereClause', 'limitOption', 'op']);

/**
 * pg_dump (15.8+, 16.4+, 17) narrows its session with
 * `SELECT set_config(name, 'view, foreign-table', false) FROM pg_settings WHERE name = '<setting>'`:
 * exactly that shape — one set_config of the column `name` with constant arguments, one pg_settings,
 * one `name = '<constant>'` and nothing else — sets the constant's setting. Any other shape has no
 * known name (blocked as before).
 */
function settingNamedByWhere(tree: Obj): string | null {
  if (Object.keys(tree).some((k) => !SETTINGS_QUERY_KEYS.has(k)) || tree.op !== 'SETOP_NONE') return null;
  const targets = tree.targetList as Obj[] | undefined;
  const from = tree.fromClause as Obj[] | undefined;
  if (targets?.length !== 1 || from?.length !== 1) return null;
  const call = ((targets[0].ResTarget as Obj | undefined)?.val as Obj | undefined)?.FuncCall as Obj | undefined;
  const fn = (call?.funcname as Obj[] | undefined)?.map((p) => (p.String as Obj | undefined)?.sval);
  const args = call?.args as unknown[] | undefined;
  if (!fn || !(fn.length === 1 || (fn.length === 2 && fn[0] === 'pg_catalog')) || fn[fn.length - 1] !== 'set_config') return null;
  if (args?.length !== 3 || !isColumn(args[0], 'name') || !(args[1] as Obj).A_Const || !(args[2] as Obj).A_Const) return null;
  if (Object.keys(call!).some((k) => !['funcname', 'args', 'funcformat', 'location'].includes(k))) return null;
  const rel = from[0].RangeVar as Obj | undefined;
  if (!rel || rel.relname !== 'pg_settings' || (rel.schemaname !== undefined && rel.schemaname !== 'pg_catalog') || rel.alias) return null;
  const where = (tree.whereClause as Obj | undefined)?.A_Expr as Obj | undefined;
  const op = (where?.name as Obj[] | undefined)?.map((p) => (p.String as Obj | undefined)?.sval);
  if (where?.kind !== 'AEXPR_OP' || op?.length !== 1 || op[0] !== '=') return null;
  const [col, value] = isColumn(where.lexpr, 'name') ? [where.lexpr, where.rexpr] : [where.rexpr, where.lexpr];
  if (!isColumn(col, 'name') || !isStringConst(value)) return null;
  return constValue(value) as string;
}

const INNER_QUERY: Record<string, string> = {
  ExplainStmt: 'query',
  PrepareStmt: 'query',
  DeclareCursorStmt: 'query',
  CopyStmt: 'query',
};

/** where a statement sits in its request (an explained or prepared statement inside another: nowhere) */
type Position = Pick<AnalyzedStatement, 'index' | 'sql' | 'location' | 'length'>;
const INSIDE: Position = { index: 0, sql: '', location: 0, length: 0 };

// one object literal of a fixed shape per statement: spreading it into another cost ~7% of `check --batch`
function analyzeNode(node: string, tree: Obj, at: Position = INSIDE): AnalyzedStatement {
  const facts = walk(node, tree);
  let kind = statementKind(node, tree);
  if (kind === 'read' || kind === 'write') {
    if (facts.deletes > 0) kind = 'delete';
    else if (facts.nestedWrites > 0 || facts.flags.has('select-into')) kind = 'write';
  }
  if (node === 'MergeStmt' && facts.deletes > 0) kind = 'delete';
  const options: Record<string, unknown> = {};
  let inner: AnalyzedStatement | undefined;
  const innerField = INNER_QUERY[node];
  const innerWrapped = innerField ? (tree[innerField] as Obj | undefined) : undefined;
  if (innerWrapped && typeof innerWrapped === 'object') {
    const innerNode = Object.keys(innerWrapped)[0];
    inner = analyzeNode(innerNode, innerWrapped[innerNode] as Obj);
  }
  let innerKind: StatementAnalysis['innerKind'];
  if (node === 'ExplainStmt') {
    const opts = defElems(tree.options);
    options.analyze = 'analyze' in opts ? isOn(opts.analyze) : false;
    if (options.analyze) facts.flags.add('explain-analyze');
    innerKind = inner?.kind;
  }
  if (node === 'CopyStmt') {
    options.from = Boolean(tree.is_from);
    options.program = Boolean(tree.is_program);
    options.file = typeof tree.filename === 'string' ? tree.filename : null;
    if (options.program || options.file) facts.flags.add('server-file-access');
    if (options.from && tree.relation) {
      const rv = tree.relation as Obj;
      facts.tablesWritten.push({ schema: (rv.schemaname as string) ?? null, name: String(rv.relname) });
      facts.tablesRead = facts.tablesRead.filter((t) => !(t.name === rv.relname && t.schema === ((rv.schemaname as string) ?? null)));
    }
  }
  if (node === 'TransactionStmt') options.transaction = String(tree.kind);
  if (node === 'DropStmt') options.removeType = String(tree.removeType);
  if (node === 'AlterTableStmt') {
    options.subtypes = ((tree.cmds as Obj[] | undefined) ?? []).map((c) => String(((c.AlterTableCmd as Obj) ?? {}).subtype));
  }
  const removes = removedObject(node, tree);
  if (removes) options.removes = removes;
  if (node === 'PrepareStmt' || node === 'ExecuteStmt' || node === 'DeallocateStmt')
    options.prepared = tree.isall ? '*' : String(tree.name ?? '');
  if (node === 'LockStmt') options.lockMode = Number(tree.mode ?? 0);
  if (node === 'DefineStmt') options.defineKind = String(tree.kind);
  if (node === 'DiscardStmt') options.target = String(tree.target);
  const functions = facts.functions;
  const settings = settingsOf(node, tree, facts.functions);
  if (facts.flags.has('sequence-advance') || kind === 'notify') facts.flags.add('escapes-rollback');
  return {
    index: at.index,
    sql: at.sql,
    location: at.location,
    length: at.length,
    node,
    kind,
    innerKind,
    detail: (options.removeType as string) ?? undefined,
    tablesRead: unique(facts.tablesRead.map(tableName)),
    tablesWritten: unique(facts.tablesWritten.map(tableName)),
    functions,
    operators: [...facts.operators],
    settings,
    flags: [...facts.flags],
    options,
    inner,
    blockedFunctions: facts.functions
      .filter((f) => f.blocked)
      .map((f) => ({ name: f.schema ? `${f.schema}.${f.name}` : f.name, reason: f.blocked! })),
  };
}
