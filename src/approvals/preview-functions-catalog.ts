// The functions a preview may end up calling, from the catalog: every overload of a name, the
// functions behind operators and casts, with volatility, language and whether they are visible.
import type { PoolClient } from 'pg';
import { catalogQuery } from './preview-catalog.js';

export interface ProcInfo {
  name: string;
  schema: string;
  volatility: string;
  language: string;
  /** f function, a aggregate, w window, p procedure */
  kind: string;
  /** the schema is on this session's search path (or pg_catalog) */
  visible: boolean;
  /** for operators and casts: what the function stands behind */
  via?: string;
}

const PROC_COLUMNS = `p.proname, pn.nspname AS schema, p.provolatile, l.lanname, p.prokind, pn.nspname = ANY(current_schemas(true)) AS visible`;
const PROC_JOINS = `JOIN pg_namespace pn ON pn.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang`;
/** Built-in, not volatile: the bulk of operators and casts, filtered out in SQL to keep previews fast. */
const PLAIN_BUILTIN = `(pn.nspname IN ('pg_catalog', 'information_schema') AND p.provolatile <> 'v')`;
const toProc = (r: Record<string, unknown>, via?: string): ProcInfo => ({
  name: String(r.proname),
  schema: String(r.schema),
  volatility: String(r.provolatile),
  language: String(r.lanname),
  kind: String(r.prokind),
  visible: r.visible === true,
  via,
});

/** Every overload of these names, with where it lives, so the caller can judge what PostgreSQL may pick. */
export async function functionsNamed(client: PoolClient, names: string[]): Promise<ProcInfo[]> {
  if (names.length === 0) return [];
  const { rows } = await catalogQuery(client, `SELECT ${PROC_COLUMNS} FROM pg_proc p ${PROC_JOINS} WHERE p.proname = ANY($1::text[])`, [
    names,
  ]);
  return rows.map((r) => toProc(r));
}

/** The functions behind operators of these names (an operator is a function call in disguise); plain built-ins omitted. */
export async function operatorFunctions(
  client: PoolClient,
  names: string[],
): Promise<(ProcInfo & { operator: string; operatorSchema: string; operatorVisible: boolean })[]> {
  if (names.length === 0) return [];
  const { rows } = await catalogQuery(
    client,
    `SELECT o.oprname, n.nspname AS oschema, n.nspname = ANY(current_schemas(true)) AS ovisible, ${PROC_COLUMNS}
       FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace JOIN pg_proc p ON p.oid = o.oprcode ${PROC_JOINS}
      WHERE o.oprname = ANY($1::text[]) AND NOT ${PLAIN_BUILTIN}`,
    [names],
  );
  return rows.map((r) => ({
    ...toProc(r, `operator ${r.oschema}.${r.oprname}`),
    operator: r.oprname,
    operatorSchema: r.oschema,
    operatorVisible: r.ovisible === true,
  }));
}

/** Cast functions to or from these types (by oid or by name as written in the statement); plain built-ins omitted. */
export async function castFunctions(client: PoolClient, typeOids: number[], typeNames: string[]): Promise<ProcInfo[]> {
  const { rows } = await catalogQuery(
    client,
    `WITH t AS (SELECT unnest($1::oid[]) AS oid UNION SELECT to_regtype(q)::oid FROM unnest($2::text[]) AS q)
     SELECT c.castsource::regtype::text AS src, c.casttarget::regtype::text AS tgt, ${PROC_COLUMNS}
       FROM pg_cast c JOIN pg_proc p ON p.oid = c.castfunc ${PROC_JOINS}
      WHERE (c.castsource IN (SELECT oid FROM t WHERE oid IS NOT NULL) OR c.casttarget IN (SELECT oid FROM t WHERE oid IS NOT NULL))
        AND NOT ${PLAIN_BUILTIN}`,
    [typeOids, typeNames],
  );
  return rows.map((r) => toProc(r, `cast ${r.src} -> ${r.tgt}`));
}

/** Primary key columns in key order, for pairing before- and after-images. */
