// The catalog queries behind list_databases, list_tables and describe_table. Each returns one
// row with one JSON column so a tool call is one round trip, one policy decision, one audit event.

/** Databases the upstream role may connect to (templates and closed databases left out). */
export const LIST_DATABASES_SQL = `SELECT coalesce(json_agg(json_build_object(
  'name', d.datname,
  'size_bytes', CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) END,
  'comment', shobj_description(d.oid, 'pg_database')
) ORDER BY d.datname), '[]'::json) AS databases
FROM pg_catalog.pg_database d
WHERE d.datallowconn AND NOT d.datistemplate AND has_database_privilege(d.oid, 'CONNECT')`;

/**
 * Tables, views, materialized views and foreign tables outside the system schemas.
 * $1 = schema name or NULL (all schemas), $2 = max tables + 1 (to detect truncation).
 */
export const LIST_TABLES_SQL = `SELECT coalesce(json_agg(t ORDER BY t.schema, t.name), '[]'::json) AS tables FROM (
  SELECT n.nspname AS schema, c.relname AS name,
    CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END AS kind,
    CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate,
    obj_description(c.oid, 'pg_class') AS comment
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
    AND ($1::text IS NULL OR n.nspname = $1::text)
  ORDER BY n.nspname, c.relname
  LIMIT $2::int
) t`;

/**
 * Columns, keys, indexes and row estimate of one relation.
 * $1 = schema or NULL (then the relation must be visible on the search_path), $2 = relation name.
 */
export const DESCRIBE_TABLE_SQL = `SELECT json_build_object(
  'schema', n.nspname,
  'name', c.relname,
  'kind', CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
    WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END,
  'row_estimate', CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END,
  'comment', obj_description(c.oid, 'pg_class'),
  'columns', coalesce((SELECT json_agg(json_build_object(
      'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod),
      'nullable', NOT a.attnotnull,
      'default', pg_get_expr(ad.adbin, ad.adrelid),
      'comment', col_description(c.oid, a.attnum)
    ) ORDER BY a.attnum)
    FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'::json),
  'constraints', coalesce((SELECT json_agg(json_build_object(
      'name', k.conname,
      'type', CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign key'
        WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' ELSE k.contype::text END,
      'definition', pg_get_constraintdef(k.oid)
    ) ORDER BY k.contype, k.conname)
    FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid), '[]'::json),
  'indexes', coalesce((SELECT json_agg(json_build_object(
      'name', ic.relname,
      'unique', i.indisunique,
      'primary', i.indisprimary,
      'definition', pg_get_indexdef(i.indexrelid)
    ) ORDER BY ic.relname)
    FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid), '[]'::json)
) AS description
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = $2::text
  AND CASE WHEN $1::text IS NULL THEN pg_table_is_visible(c.oid) ELSE n.nspname = $1::text END
LIMIT 1`;
