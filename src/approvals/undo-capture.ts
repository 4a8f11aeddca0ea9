// What an approved write keeps, inside its own execution transaction, so that a reviewer can revert
// it later: for a single UPDATE the rows it changes as they were (locked, by primary key), for a
// single INSERT the keys it inserted (from its RETURNING rows, checked to be rows this transaction
// wrote), and for both a digest of the rows as the write left them. Each step runs under a
// savepoint: when keeping fails, the approved write still commits, and the record says why there is
// nothing to revert.
import type { PoolClient } from 'pg';
import type { UndoRecord } from '../domain/standing.js';
import type { ParsedStatement, T } from '../sql/tree.js';
import { toObject, uniqueNames } from '../upstream/stream.js';
import { updatedColumns } from './preview-facts.js';
import { beforeImage } from './preview.js';
import { jsonRows, quoteIdent, rowsByKeySql } from './undo-sql.js';

/** Writes with more rows than this are not kept (the store holds every row of a revert). */
export const UNDO_MAX_ROWS = 1000;
const SAMPLE_ROWS = 50;

/** What execution plans for a single UPDATE or INSERT; a reason for everything else. */
export interface UndoTarget {
  node: 'UpdateStmt' | 'InsertStmt';
  schema: string | null;
  table: string;
  /** UPDATE: the columns it assigns */
  assigned: string[];
}

/** Which write can be kept for a revert (only a single UPDATE or INSERT), or why not. */
export function undoTarget(stmts: ParsedStatement[]): UndoTarget | string {
  const writes = stmts.filter((s) => ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'].includes(s.node));
  if (stmts.length !== 1 || writes.length !== 1) return 'only a request of one UPDATE or one INSERT can be reverted';
  const s = stmts[0];
  if (s.node !== 'UpdateStmt' && s.node !== 'InsertStmt')
    return `only an UPDATE or an INSERT can be reverted, not ${s.node.replace(/Stmt$/, '').toUpperCase()}`;
  const tree = s.tree as T.UpdateStmt | T.InsertStmt;
  if (s.node === 'InsertStmt' && (tree as T.InsertStmt).onConflictClause?.action === 'ONCONFLICT_UPDATE') {
    return 'an INSERT … ON CONFLICT DO UPDATE both inserts and updates: it cannot be reverted';
  }
  if (tree.withClause) return 'a write with a WITH clause cannot be reverted';
  const rel = tree.relation;
  if (!rel?.relname) return 'the written table is not named';
  return { node: s.node, schema: rel.schemaname ?? null, table: String(rel.relname), assigned: [...updatedColumns(s.node, tree)] };
}

export type UndoState =
  | { kind: 'unavailable'; reason: string }
  | { kind: 'update' | 'insert'; schema: string; table: string; primaryKey: string[]; columns: string[]; before: string[] };

const unavailable = (reason: string): UndoState => ({ kind: 'unavailable', reason });

/** Run fn under a savepoint; an error rolls back to it and becomes the reason. */
async function guarded<T extends { kind: string }>(client: PoolClient, fn: () => Promise<T>, failed: (why: string) => T): Promise<T> {
  await client.query('SAVEPOINT airlock_undo');
  try {
    const out = await fn();
    await client.query('RELEASE SAVEPOINT airlock_undo');
    return out;
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT airlock_undo');
    await client.query('RELEASE SAVEPOINT airlock_undo');
    return failed(`could not keep the rows to revert: ${(err as Error).message}`);
  }
}

/** Before the write: the table, its primary key, and for an UPDATE every row it will change, locked. */
export function undoBefore(client: PoolClient, target: UndoTarget, before?: { sql: string; params: unknown[] }): Promise<UndoState> {
  return guarded(
    client,
    async () => {
      const name = target.schema === null ? quoteIdent(target.table) : `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
      const { rows } = await client.query(
        `SELECT n.nspname AS schema, c.relname AS table, c.relkind AS kind,
                ARRAY(SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                       WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY k.ord)::text[] AS pk,
                ARRAY(SELECT f.conrelid::regclass::text FROM pg_constraint f
                       WHERE f.contype = 'f' AND f.confrelid = c.oid AND f.confdeltype IN ('c', 'n', 'd'))::text[] AS cascades
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
        [name],
      );
      const t = rows[0] as { schema: string; table: string; kind: string; pk: string[]; cascades: string[] } | undefined;
      if (!t) return unavailable(`table ${name} was not found`);
      const qualified = `${t.schema}.${t.table}`;
      if (t.kind !== 'r' && t.kind !== 'p') return unavailable(`${qualified} is not a table: writes through it cannot be reverted`);
      if (!t.pk.length)
        return unavailable(`table ${qualified} has no primary key: its rows cannot be told apart, so the write cannot be reverted`);
      const base = { schema: t.schema, table: t.table, primaryKey: t.pk, columns: target.assigned };
      if (target.node === 'InsertStmt') {
        // deleting the inserted rows would also delete (or change) rows that came to reference them
        if (t.cascades.length) {
          return unavailable(
            `${t.cascades.join(', ')} reference ${qualified} with ON DELETE CASCADE / SET NULL / SET DEFAULT: deleting the inserted rows could change other rows`,
          );
        }
        return { kind: 'insert', ...base, before: [] };
      }
      if (target.assigned.some((c) => t.pk.includes(c))) return unavailable('the UPDATE changes the primary key: it cannot be reverted');
      if (!before) return unavailable('the rows the UPDATE changes could not be read');
      const image = await client.query(
        `SELECT DISTINCT to_jsonb(b)::text AS j FROM (${before.sql}) AS b LIMIT ${UNDO_MAX_ROWS + 1}`,
        before.params,
      );
      if (image.rows.length > UNDO_MAX_ROWS)
        return unavailable(`the UPDATE changes more than ${UNDO_MAX_ROWS} rows: too many to keep for a revert`);
      return { kind: 'update', ...base, before: image.rows.map((r: { j: string }) => r.j) };
    },
    unavailable,
  );
}

/** Collects the primary key of every row an INSERT returns (as PostgreSQL's text). */
export function keyCollector(state: UndoState) {
  const keys: Record<string, unknown>[] = [];
  let missing = false;
  let names: string[] | undefined;
  return {
    add(raw: (string | null)[], fields: { name: string; dataTypeID: number }[]) {
      if (state.kind !== 'insert' || missing) return;
      names ??= uniqueNames(fields);
      if (!state.primaryKey.every((c) => names!.includes(c))) {
        missing = true;
        return;
      }
      if (keys.length <= UNDO_MAX_ROWS) {
        const row = toObject(names, raw);
        keys.push(Object.fromEntries(state.primaryKey.map((c) => [c, row[c]])));
      }
    },
    result: () => ({ keys, missing }),
  };
}

/** After the write (same transaction): the digest of the rows as it left them, and the record. */
export function undoAfter(
  client: PoolClient,
  state: UndoState,
  inserted: { keys: Record<string, unknown>[]; missing: boolean },
  affected: number,
): Promise<UndoRecord> {
  if (state.kind === 'unavailable') return Promise.resolve(state);
  return guarded<UndoRecord>(
    client,
    async () => {
      let rows = state.before;
      if (state.kind === 'update' && rows.length !== affected) {
        return { kind: 'unavailable', reason: `the UPDATE changed ${affected} rows, not the ${rows.length} read before it` };
      }
      if (state.kind === 'insert') {
        if (inserted.missing)
          return { kind: 'unavailable', reason: 'the INSERT returns no primary key (RETURNING leaves it out): it cannot be reverted' };
        if (inserted.keys.length > UNDO_MAX_ROWS)
          return { kind: 'unavailable', reason: `the INSERT wrote more than ${UNDO_MAX_ROWS} rows: too many to keep for a revert` };
        // only rows this transaction wrote: a RETURNING list cannot point the revert at other rows
        const mine = await client.query(rowsByKeySql(state, { insertedHere: true, json: true }), [JSON.stringify(inserted.keys)]);
        rows = mine.rows.map((r: { j: string }) => r.j);
        if (rows.length !== inserted.keys.length || rows.length !== affected) {
          return { kind: 'unavailable', reason: 'the inserted rows could not all be found again by their primary key' };
        }
      }
      const after = await beforeImage(client, { sql: rowsByKeySql(state), params: [jsonRows(rows)] }, SAMPLE_ROWS);
      if (after.count !== rows.length)
        return { kind: 'unavailable', reason: 'the written rows could not all be found again by their primary key' };
      return {
        kind: state.kind,
        schema: state.schema,
        table: state.table,
        primaryKey: state.primaryKey,
        columns: state.columns,
        rows,
        afterDigest: after.digest,
        afterCount: after.count,
        afterSample: after.rows,
      };
    },
    (reason) => ({ kind: 'unavailable', reason }),
  );
}
