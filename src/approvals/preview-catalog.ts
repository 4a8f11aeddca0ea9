// pg_catalog look-ups a preview needs before it may run a statement: what the named relations
// are, which tables a write reaches (partitions, ON UPDATE/DELETE actions), their triggers,
// rules, defaults, constraints, indexes and policies, and the functions behind names.
import { createHash } from 'node:crypto';
import type { PoolClient, QueryResult } from 'pg';
import type { QualifiedName } from './preview-facts.js';
import { sharesBackend } from '../upstream/pools.js';

/**
 * Catalog queries run as named prepared statements: planning them costs more than running them,
 * and each pooled session plans each one once. (Sessions that ran DISCARD/DEALLOCATE are destroyed.)
 * Not on a server that runs every connection on one backend (the embedded demo's PGlite), where a
 * name is shared by all sessions.
 */
export function catalogQuery(client: PoolClient, text: string, values: unknown[]): Promise<QueryResult> {
  if (sharesBackend(client)) return client.query(text, values);
  const name = `airlock_cat_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  return client.query({ name, text, values });
}

export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
export const qualifiedText = (q: QualifiedName) => (q.schema ? `${quoteIdent(q.schema)}.${quoteIdent(q.name)}` : quoteIdent(q.name));

export interface RelationInfo {
  oid: number;
  /** schema-qualified, quoted as needed */
  name: string;
  relkind: string;
}

/** Resolve names as PostgreSQL would in this session (search_path); unknown names map to null. */
export async function resolveRelations(client: PoolClient, names: QualifiedName[]): Promise<(RelationInfo | null)[]> {
  if (names.length === 0) return [];
  const { rows } = await catalogQuery(
    client,
    `SELECT r.i, c.oid::int8 AS oid, c.relkind, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
       FROM unnest($1::text[]) WITH ORDINALITY AS r(q, i)
       LEFT JOIN pg_class c ON c.oid = to_regclass(r.q)
       LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
      ORDER BY r.i`,
    [names.map(qualifiedText)],
  );
  return rows.map((r) => (r.oid === null ? null : { oid: Number(r.oid), name: r.name, relkind: r.relkind }));
}

export interface ColumnInfo {
  relid: number;
  name: string;
  identity: string;
  generated: string;
  /** the column's DEFAULT (or generation) expression as text */
  expr: string | null;
  typeOid: number;
  /** the sequence behind a serial or identity column */
  sequence: string | null;
}

/** Columns in order with their defaults and sequences: which DEFAULTs an INSERT evaluates depends on them. */
export async function columnsOf(client: PoolClient, oids: number[]): Promise<ColumnInfo[]> {
  const { rows } = await catalogQuery(
    client,
    `SELECT a.attrelid::int8 AS relid, a.attname, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid) AS expr,
            a.atttypid::int8 AS typ,
            pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname) AS seq
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  return rows.map((r) => ({
    relid: Number(r.relid),
    name: r.attname,
    identity: r.attidentity,
    generated: r.attgenerated,
    expr: r.expr,
    typeOid: Number(r.typ),
    sequence: r.seq,
  }));
}

/** Partitions and inheritance children: a write to a parent reaches them and fires their triggers. */
export async function descendants(client: PoolClient, oids: number[]): Promise<RelationInfo[]> {
  const { rows } = await catalogQuery(
    client,
    `WITH RECURSIVE k(oid) AS (SELECT unnest($1::oid[]) UNION SELECT i.inhrelid FROM pg_inherits i JOIN k ON i.inhparent = k.oid)
     SELECT c.oid::int8 AS oid, c.relkind, c.oid::regclass::text AS name FROM k JOIN pg_class c ON c.oid = k.oid`,
    [oids],
  );
  return rows.map((r) => ({ oid: Number(r.oid), name: r.name, relkind: r.relkind }));
}

export interface ReferencingKey {
  /** the referenced (parent) table */
  parent: number;
  table: RelationInfo;
  onUpdate: string;
  onDelete: string;
  /** referenced columns of the parent, referencing columns of the child */
  parentColumns: string[];
  childColumns: string[];
}

/** Foreign keys pointing at these tables: their ON UPDATE/DELETE actions write elsewhere. */
export async function referencingKeys(client: PoolClient, oids: number[]): Promise<ReferencingKey[]> {
  const { rows } = await catalogQuery(
    client,
    `SELECT k.confrelid::int8 AS parent, c.oid::int8 AS oid, c.relkind, c.oid::regclass::text AS name, k.confupdtype, k.confdeltype,
            ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = k.confrelid AND a.attnum = ANY(k.confkey)) AS pcols,
            ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey)) AS ccols
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
      WHERE k.contype = 'f' AND k.confrelid = ANY($1::oid[])`,
    [oids],
  );
  return rows.map((r) => ({
    parent: Number(r.parent),
    table: { oid: Number(r.oid), name: r.name, relkind: r.relkind },
    onUpdate: r.confupdtype,
    onDelete: r.confdeltype,
    parentColumns: r.pcols,
    childColumns: r.ccols,
  }));
}

export interface TriggerInfo {
  relid: number;
  table: string;
  name: string;
  /** pg_trigger.tgtype bits: 4 INSERT, 8 DELETE, 16 UPDATE */
  type: number;
}

/** User triggers (not the internal FK ones): their functions could do anything. */
export async function triggersOn(client: PoolClient, oids: number[]): Promise<TriggerInfo[]> {
  const { rows } = await catalogQuery(
    client,
    `SELECT t.tgrelid::int8 AS relid, t.tgrelid::regclass::text AS tbl, t.tgname, t.tgtype::int AS type
       FROM pg_trigger t WHERE t.tgrelid = ANY($1::oid[]) AND NOT t.tgisinternal ORDER BY t.tgname`,
    [oids],
  );
  return rows.map((r) => ({ relid: Number(r.relid), table: r.tbl, name: r.tgname, type: Number(r.type) }));
}

export interface RuleInfo {
  relid: number;
  table: string;
  name: string;
  /** '2' UPDATE, '3' INSERT, '4' DELETE */
  event: string;
}

/** Rewrite rules other than a view's _RETURN: DO ALSO NOTIFY and friends. */
export async function rulesOn(client: PoolClient, oids: number[]): Promise<RuleInfo[]> {
  const { rows } = await catalogQuery(
    client,
    `SELECT r.ev_class::int8 AS relid, r.ev_class::regclass::text AS tbl, r.rulename, r.ev_type
       FROM pg_rewrite r WHERE r.ev_class = ANY($1::oid[]) AND r.rulename <> '_RETURN' ORDER BY r.rulename`,
    [oids],
  );
  return rows.map((r) => ({ relid: Number(r.relid), table: r.tbl, name: r.rulename, event: String(r.ev_type) }));
}

export interface CatalogExpression {
  /** what it is, for the refusal reason: "check constraint c on t" */
  what: string;
  /** a parseable statement that contains the expression */
  sql: string;
}

/** Expressions PostgreSQL evaluates while writing these tables: CHECKs, index expressions, generated columns. */
export async function writeExpressions(client: PoolClient, oids: number[]): Promise<CatalogExpression[]> {
  const { rows } = await catalogQuery(
    client,
    `SELECT 'check constraint ' || conname || ' on ' || conrelid::regclass AS what, 'SELECT ' || pg_get_expr(conbin, conrelid) AS sql
       FROM pg_constraint WHERE conrelid = ANY($1::oid[]) AND contype = 'c'
     UNION ALL
     SELECT 'index ' || indexrelid::regclass, pg_get_indexdef(indexrelid)
       FROM pg_index WHERE indrelid = ANY($1::oid[]) AND (indexprs IS NOT NULL OR indpred IS NOT NULL)
     UNION ALL
     SELECT 'generated column ' || a.attname || ' of ' || a.attrelid::regclass, 'SELECT ' || pg_get_expr(d.adbin, d.adrelid)
       FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = ANY($1::oid[]) AND a.attgenerated <> '' AND NOT a.attisdropped`,
    [oids],
  );
  return rows.map((r) => ({ what: r.what, sql: r.sql }));
}

/** Row-level security policies and view bodies: they run as part of reading these relations. */
export async function readExpressions(client: PoolClient, oids: number[]): Promise<CatalogExpression[]> {
  const { rows } = await catalogQuery(
    client,
    `SELECT 'policy ' || polname || ' on ' || polrelid::regclass AS what,
            'SELECT ' || coalesce(pg_get_expr(polqual, polrelid), 'true') || ', ' || coalesce(pg_get_expr(polwithcheck, polrelid), 'true') AS sql
       FROM pg_policy WHERE polrelid = ANY($1::oid[])
     UNION ALL
     SELECT 'view ' || c.oid::regclass, pg_get_viewdef(c.oid)
       FROM pg_class c WHERE c.oid = ANY($1::oid[]) AND c.relkind = 'v'`,
    [oids],
  );
  return rows.map((r) => ({ what: r.what, sql: r.sql }));
}

/** Domains behind column types (and their base domains): their CHECKs and DEFAULTs run on write. */
export async function domainExpressions(
  client: PoolClient,
  typeOids: number[],
): Promise<{ checks: CatalogExpression[]; defaults: Map<number, string> }> {
  const { rows } = await catalogQuery(
    client,
    `WITH RECURSIVE d(oid) AS (
        SELECT unnest($1::oid[])
        UNION
        SELECT v.x FROM pg_type t JOIN d ON t.oid = d.oid
         CROSS JOIN LATERAL (VALUES (CASE WHEN t.typtype = 'd' THEN t.typbasetype END), (NULLIF(t.typelem, 0))) AS v(x)
         WHERE v.x IS NOT NULL)
     SELECT t.oid::int8 AS oid, t.typname, t.typdefault, k.conname, pg_get_expr(k.conbin, 0) AS expr
       FROM d JOIN pg_type t ON t.oid = d.oid LEFT JOIN pg_constraint k ON k.contypid = t.oid AND k.contype = 'c'
      WHERE t.typtype = 'd'`,
    [typeOids],
  );
  const checks: CatalogExpression[] = [];
  const defaults = new Map<number, string>();
  for (const r of rows) {
    if (r.expr) checks.push({ what: `domain constraint ${r.conname} on ${r.typname}`, sql: `SELECT ${r.expr}` });
    if (r.typdefault) defaults.set(Number(r.oid), r.typdefault);
  }
  return { checks, defaults };
}

export async function primaryKey(client: PoolClient, oid: number): Promise<string[]> {
  const { rows } = await catalogQuery(
    client,
    `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = $1 AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [oid],
  );
  return rows.map((r) => String(r.attname));
}
