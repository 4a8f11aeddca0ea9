// How a statement uses columns (domain/decision.ts ColumnUse), from the libpg-query tree: which
// plain columns the top-level SELECT outputs (the doors mask those by their origin), and every
// other use of a column name, star or row value (those could probe a masked value).
import type { ColumnUse } from '../domain/decision.js';

type Obj = Record<string, unknown>;

const sval = (n: unknown): string | undefined => ((n as Obj | undefined)?.String as Obj | undefined)?.sval as string | undefined;

/** A top-level SELECT whose target list reaches the client column by column. */
function plainSelect(node: string, tree: Obj): boolean {
  if (node !== 'SelectStmt') return false;
  if (tree.op !== undefined && tree.op !== 'SETOP_NONE') return false;
  return !(Array.isArray(tree.distinctClause) && tree.distinctClause.length > 0) && !tree.intoClause;
}

const isPosition = (n: unknown): boolean => {
  const c = (n as Obj | undefined)?.A_Const as Obj | undefined;
  return c !== undefined && 'ival' in c;
};

export function columnUse(node: string, tree: Obj): ColumnUse {
  const out: ColumnUse = { output: [], aliases: [], used: [], probes: [] };
  const probes = new Set<ColumnUse['probes'][number]>();
  const outputs = new Set<object>();
  if (plainSelect(node, tree)) {
    for (const t of (tree.targetList as Obj[] | undefined) ?? []) {
      const rt = t.ResTarget as Obj | undefined;
      const ref = (rt?.val as Obj | undefined)?.ColumnRef as Obj | undefined;
      const fields = ref?.fields as Obj[] | undefined;
      if (!ref || !fields?.length) continue;
      const last = fields[fields.length - 1];
      const name = last.A_Star ? '*' : sval(last);
      if (name === undefined) continue;
      outputs.add(ref);
      out.output.push(name);
      if (typeof rt!.name === 'string' && name !== '*') out.aliases.push([rt!.name, name]);
    }
  }
  if (node === 'CopyStmt' && tree.relation && !tree.is_from) probes.add('copy');
  const relations = new Set<string>();
  const refs: Obj[] = [];
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const o = v as Obj;
    for (const key in o) {
      const child = o[key];
      if (child === null || typeof child !== 'object') continue;
      if (key === 'ColumnRef') refs.push(child as Obj);
      else if (key === 'RangeVar' || key === 'relation') relations.add(String((child as Obj).relname ?? '').toLowerCase());
      else if (key === 'alias') relations.add(String((child as Obj).aliasname ?? '').toLowerCase());
      else if (key === 'CommonTableExpr') relations.add(String((child as Obj).ctename ?? '').toLowerCase());
      else if (key === 'JoinExpr') {
        const j = child as Obj;
        if (j.isNatural) probes.add('natural');
        for (const u of (j.usingClause as unknown[] | undefined) ?? []) {
          const name = sval(u);
          if (name !== undefined) out.used.push(name);
        }
      } else if (key === 'sortClause' || key === 'groupClause') {
        for (const item of child as unknown[]) {
          const sortBy = (item as Obj).SortBy as Obj | undefined;
          if (isPosition(sortBy ? sortBy.node : item)) probes.add('positional');
        }
      }
      stack.push(child);
    }
  }
  for (const ref of refs) {
    const fields = (ref.fields as Obj[] | undefined) ?? [];
    const last = fields[fields.length - 1];
    const name = last?.A_Star ? '*' : sval(last);
    if (name === undefined) continue;
    // a lone name that is also a table or alias may be the whole row (`SELECT u FROM users u`, `row_to_json(u)`)
    if (fields.length === 1 && name !== '*' && relations.has(name.toLowerCase())) probes.add('whole-row');
    if (outputs.has(ref)) continue;
    if (name === '*') probes.add('star');
    else out.used.push(name);
  }
  out.probes = [...probes];
  return out;
}
