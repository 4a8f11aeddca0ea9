// The statements of a revert, built from what an executed write kept (table, primary key, rows as
// to_jsonb text). Rows travel as one jsonb parameter read back through jsonb_populate_recordset, so
// every value returns to its column type exactly as PostgreSQL rendered it. The capture after the
// write and the revert's own check read the rows with the same `SELECT t.*`, so their digests compare.
import type { UndoRecord } from '../domain/standing.js';

type Kept = Extract<UndoRecord, { kind: 'update' | 'insert' }>;

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

const relation = (u: Pick<Kept, 'schema' | 'table'>) => `${quoteIdent(u.schema)}.${quoteIdent(u.table)}`;

/** `t.pk = r.pk AND …`: a row of the table and a row of the parameter, by primary key. */
const byKey = (pk: readonly string[]) => pk.map((c) => `t.${quoteIdent(c)} = r.${quoteIdent(c)}`).join(' AND ');

const rowsParam = (u: Pick<Kept, 'schema' | 'table'>) => `jsonb_populate_recordset(NULL::${relation(u)}, $1::jsonb) AS r`;

/** The rows of the table whose keys are in $1 (a JSON array of rows): every column, as `t.*`. */
export function rowsByKeySql(
  u: Pick<Kept, 'schema' | 'table' | 'primaryKey'>,
  opts: { insertedHere?: boolean; json?: boolean } = {},
): string {
  const what = opts.json ? 'to_jsonb(t)::text AS j' : 't.*';
  const mine = opts.insertedHere ? ' AND t.xmin = pg_current_xact_id()::xid' : '';
  return `SELECT ${what} FROM ${relation(u)} AS t, ${rowsParam(u)} WHERE ${byKey(u.primaryKey)}${mine}`;
}

/** One JSON array parameter from to_jsonb texts. */
export const jsonRows = (rows: readonly string[]) => `[${rows.join(',')}]`;

/** The revert: UPDATE the assigned columns back to the kept values, or DELETE the inserted rows. */
export function revertSql(u: Kept): { sql: string; params: unknown[] } {
  const params = [jsonRows(u.rows)];
  if (u.kind === 'insert') {
    return { sql: `DELETE FROM ${relation(u)} AS t USING ${rowsParam(u)} WHERE ${byKey(u.primaryKey)}`, params };
  }
  const sets = u.columns.map((c) => `${quoteIdent(c)} = r.${quoteIdent(c)}`).join(', ');
  return { sql: `UPDATE ${relation(u)} AS t SET ${sets} FROM ${rowsParam(u)} WHERE ${byKey(u.primaryKey)}`, params };
}
