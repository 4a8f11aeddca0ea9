// What an upstream database adds to the function and operator names the policy trusts: functions
// outside pg_catalog and information_schema that share a name with one inside (they shadow or
// overload it: `public.upper(integer)` wins over `pg_catalog.upper(text)` for `upper(1)`), and every
// operator defined outside pg_catalog. Read with one query on a read-only session.
import type { ColumnOrigin, ColumnOrigins, DatabaseCatalog } from '../domain/decision.js';
import { POOL_KINDS, type UpstreamPools } from './pools.js';

const SHADOWS = `
SELECT 'f' AS kind, p.proname AS name
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND p.proname IN (SELECT proname FROM pg_proc WHERE pronamespace IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace))
UNION
SELECT 'o', o.oprname
  FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
 WHERE n.nspname <> 'pg_catalog'`;

const COLUMNS = `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS "table", a.attnum AS attnum, a.attname AS "column"
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`;

/** Which columns masking covers: called with each user column of the database. */
export type ColumnFilter = (schema: string, table: string, column: string) => boolean;

interface ColumnRow {
  oid: string;
  schema: string;
  table: string;
  attnum: number | null;
  column: string | null;
}

function columnOrigins(rows: ColumnRow[], covers: ColumnFilter): ColumnOrigins {
  const relations = new Set<number>();
  const covered = new Map<number, Map<number, ColumnOrigin>>();
  for (const r of rows) {
    const oid = Number(r.oid);
    relations.add(oid);
    if (r.attnum === null || r.column === null || !covers(r.schema, r.table, r.column)) continue;
    let cols = covered.get(oid);
    if (!cols) covered.set(oid, (cols = new Map()));
    cols.set(r.attnum, { schema: r.schema, table: r.table, column: r.column });
  }
  return { relations, covered };
}

/** The catalog facts of one database; throws when it cannot be read (callers fail closed). */
export async function readCatalog(pools: UpstreamPools, database: string, columns?: ColumnFilter): Promise<DatabaseCatalog> {
  const client = await pools.connect(database, POOL_KINDS.readOnly);
  try {
    const { rows } = await client.query<{ kind: string; name: string }>(SHADOWS);
    const origins = columns ? columnOrigins((await client.query<ColumnRow>(COLUMNS)).rows, columns) : undefined;
    return {
      loaded: true,
      shadowedFunctions: new Set(rows.filter((r) => r.kind === 'f').map((r) => r.name)),
      userOperators: new Set(rows.filter((r) => r.kind === 'o').map((r) => r.name)),
      ...(origins ? { columns: origins } : {}),
    };
  } finally {
    client.release();
  }
}

/** Nothing is trusted while a database's catalog is unknown. */
export const UNKNOWN_CATALOG: DatabaseCatalog = { loaded: false, shadowedFunctions: new Set(), userOperators: new Set() };
