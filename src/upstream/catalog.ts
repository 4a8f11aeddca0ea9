// What an upstream database adds to the function and operator names the policy trusts: functions
// outside pg_catalog and information_schema that share a name with one inside (they shadow or
// overload it: `public.upper(integer)` wins over `pg_catalog.upper(text)` for `upper(1)`), and every
// operator defined outside pg_catalog. Read with one query on a read-only session.
import type { DatabaseCatalog } from '../domain/decision.js';
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

/** The catalog facts of one database; throws when it cannot be read (callers fail closed). */
export async function readCatalog(pools: UpstreamPools, database: string): Promise<DatabaseCatalog> {
  const client = await pools.connect(database, POOL_KINDS.readOnly);
  try {
    const { rows } = await client.query<{ kind: string; name: string }>(SHADOWS);
    return {
      loaded: true,
      shadowedFunctions: new Set(rows.filter((r) => r.kind === 'f').map((r) => r.name)),
      userOperators: new Set(rows.filter((r) => r.kind === 'o').map((r) => r.name)),
    };
  } finally {
    client.release();
  }
}

/** Nothing is trusted while a database's catalog is unknown. */
export const UNKNOWN_CATALOG: DatabaseCatalog = { loaded: false, shadowedFunctions: new Set(), userOperators: new Set() };
