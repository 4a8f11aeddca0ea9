// Walk every node of a libpg-query tree (iteratively: trees can be thousands of levels deep)
// and collect the facts the rules need: tables, function calls, nested writes, INTO, locking.
import { classifyFunction, CAST_TYPES } from '../sql/functions.js';
import type { FunctionRef, RiskFlag } from '../domain/decision.js';

export interface TableRef {
  schema: string | null;
  name: string;
}

export interface WalkFacts {
  tablesRead: TableRef[];
  tablesWritten: TableRef[];
  functions: FunctionRef[];
  /** operators written without a schema */
  operators: Set<string>;
  flags: Set<RiskFlag>;
  /** INSERT/UPDATE/MERGE nodes below the top statement */
  nestedWrites: number;
  /** DELETE nodes (or MERGE ... DELETE) anywhere, including the top statement */
  deletes: number;
}

type Obj = Record<string, unknown>;
const WRITE_NODES = new Set(['InsertStmt', 'UpdateStmt', 'MergeStmt', 'DeleteStmt']);

/** A constant argument as a JS value; libpg-query omits zero/false/empty defaults ({}). */
export function constValue(node: unknown): string | number | boolean | null | undefined {
  const c = (node as Obj | undefined)?.A_Const as Obj | undefined;
  if (!c) {
    const cast = (node as Obj | undefined)?.TypeCast as Obj | undefined;
    return cast ? constValue(cast.arg) : undefined;
  }
  if (c.isnull) return null;
  if (c.sval) return String((c.sval as Obj).sval ?? '');
  if (c.ival) return Number((c.ival as Obj).ival ?? 0);
  if (c.fval) return Number((c.fval as Obj).fval ?? 0);
  if (c.boolval) return Boolean((c.boolval as Obj).boolval ?? false);
  if (c.bsval) return String((c.bsval as Obj).bsval ?? '');
  return undefined;
}

function funcName(parts: unknown): { schema: string | null; name: string } {
  const names = (Array.isArray(parts) ? parts : []).map((p) => String(((p as Obj).String as Obj)?.sval ?? ''));
  const name = names[names.length - 1] ?? '';
  return { schema: names.length > 1 ? names[names.length - 2] : null, name };
}

function addFunction(facts: WalkFacts, schema: string | null, name: string, args: unknown) {
  const verdict = classifyFunction(schema, name);
  const constArgs = (Array.isArray(args) ? args : []).map((a) => {
    const v = constValue(a);
    return v === undefined ? null : typeof v === 'boolean' ? String(v) : v;
  });
  facts.functions.push({ schema, name, volatility: verdict.volatility, constArgs, blocked: verdict.blocked, harmless: verdict.harmless });
  if (verdict.blocked) facts.flags.add('dangerous-function');
  else if (verdict.volatility === 'unknown') facts.flags.add('unknown-function');
  else if (verdict.volatility === 'volatile' && !verdict.harmless) facts.flags.add('volatile-function');
  const lower = name.toLowerCase();
  if (lower === 'nextval' || lower === 'setval') facts.flags.add('sequence-advance');
}

/** BETWEEN is spelled as a name but compares with >= and <=, which an overload could catch. */
const IMPLIED_OPERATORS: Record<string, string[]> = {
  AEXPR_BETWEEN: ['>=', '<='],
  AEXPR_NOT_BETWEEN: ['>=', '<='],
  AEXPR_BETWEEN_SYM: ['>=', '<='],
  AEXPR_NOT_BETWEEN_SYM: ['>=', '<='],
};

/**
 * An operator is a function call by another name: unqualified ones are kept for the database's
 * catalog check; OPERATOR(schema.op) outside pg_catalog is an unknown function.
 */
function addOperator(facts: WalkFacts, parts: unknown, kind: string) {
  if (!Array.isArray(parts) || parts.length === 0) return;
  const { schema, name } = funcName(parts);
  if (IMPLIED_OPERATORS[kind]) {
    for (const op of IMPLIED_OPERATORS[kind]) facts.operators.add(op);
    return;
  }
  if (schema !== null && schema !== 'pg_catalog') {
    facts.functions.push({ schema, name: `operator(${name})`, volatility: 'unknown', constArgs: [] });
    facts.flags.add('unknown-function');
    return;
  }
  if (schema === null && name) facts.operators.add(name);
}

/** Collect facts from `tree` (the inside of the top node `node`). */
export function walk(node: string, tree: Obj): WalkFacts {
  const facts: WalkFacts = {
    tablesRead: [],
    tablesWritten: [],
    functions: [],
    operators: new Set(),
    flags: new Set(),
    nestedWrites: 0,
    deletes: 0,
  };
  const targets = new Set<Obj>();
  const cteNames = new Set<string>();
  const rangeVars: Obj[] = [];
  // two parallel stacks instead of one of {type, value} objects: this loop is the hot path
  const types: (string | null)[] = [node];
  const values: unknown[] = [tree];
  while (values.length > 0) {
    const type = types.pop()!;
    const value = values.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        types.push(null);
        values.push(value[i]);
      }
      continue;
    }
    const o = value as Obj;
    if (type !== null) visit(type, o, node === type && o === tree, facts, targets, cteNames);
    else if (Array.isArray(o.funcname) && 'funcformat' in o) visit('FuncCall', o, false, facts, targets, cteNames);
    // typed fields (SelectStmt.larg/rarg, CallStmt.funccall, ...) hold nodes without the type wrapper
    if (o.intoClause) facts.flags.add('select-into');
    if (Array.isArray(o.lockingClause) && o.lockingClause.length > 0) facts.flags.add('locking');
    if (typeof o.relname === 'string') rangeVars.push(o);
    for (const key in o) {
      const child = o[key];
      if (child !== null && typeof child === 'object') {
        const code = key.charCodeAt(0);
        types.push(code >= 65 && code <= 90 ? key : null);
        values.push(child);
      }
    }
  }
  for (const rv of rangeVars) {
    const ref = { schema: (rv.schemaname as string | undefined) ?? null, name: rv.relname as string };
    if (targets.has(rv)) facts.tablesWritten.push(ref);
    else if (!(ref.schema === null && cteNames.has(ref.name))) facts.tablesRead.push(ref);
  }
  return facts;
}

function visit(type: string, o: Obj, isTop: boolean, facts: WalkFacts, targets: Set<Obj>, ctes: Set<string>) {
  switch (type) {
    case 'FuncCall': {
      const { schema, name } = funcName(o.funcname);
      const isCast = (schema === null || schema === 'pg_catalog') && CAST_TYPES.has(name) && Array.isArray(o.args) && o.args.length === 1;
      if (!isCast) addFunction(facts, schema, name, o.args);
      return;
    }
    case 'A_Expr':
      addOperator(facts, o.name, String(o.kind));
      return;
    case 'SubLink':
      addOperator(facts, o.operName, '');
      return;
    case 'SortBy':
      addOperator(facts, o.useOp, '');
      return;
    case 'RangeTableSample': {
      const { schema, name } = funcName(o.method);
      addFunction(facts, schema, name, o.args);
      return;
    }
    case 'CommonTableExpr':
      if (typeof o.ctename === 'string') ctes.add(o.ctename);
      return;
    case 'MergeStmt':
      for (const w of (o.mergeWhenClauses as Obj[] | undefined) ?? []) {
        if (((w.MergeWhenClause as Obj | undefined)?.commandType as string) === 'CMD_DELETE') facts.deletes++;
      }
      break;
    case 'DeleteStmt':
      facts.deletes++;
      break;
  }
  if (WRITE_NODES.has(type)) {
    if (o.relation && typeof o.relation === 'object') targets.add(o.relation as Obj);
    if (!isTop) {
      facts.nestedWrites++;
      facts.flags.add(type === 'DeleteStmt' ? 'nested-delete' : 'nested-write');
      facts.flags.add('writes-in-cte');
    }
  }
}
