// What Airlock knows about functions: pg_catalog and information_schema volatility (generated from
// a real catalog by scripts/gen-functions.ts into a module, so the policy reads no files), a short
// allow-list of harmless volatile functions that clients send for metadata, and the block list of
// functions with effects outside the statement.
import type { Volatility } from '../domain/decision.js';
import { CAST_ONLY_TYPES, INFORMATION_SCHEMA_FUNCTIONS, PG_CATALOG_FUNCTIONS } from './data/pg-functions.js';

const LETTER = { i: 'immutable', s: 'stable', v: 'volatile' } as const;

/** function name → the least safe volatility among its overloads, from `name<TAB>letters` lines. */
function volatilities(tsv: string): ReadonlyMap<string, Volatility> {
  const map = new Map<string, Volatility>();
  for (const line of tsv.split('\n').slice(1)) {
    const [name, letters] = line.split('\t');
    if (!name || !letters) continue;
    const worst = letters.includes('v') ? 'v' : letters.includes('s') ? 's' : 'i';
    map.set(name, LETTER[worst]);
  }
  return map;
}

/** pg_catalog function name → the least safe volatility among its overloads. */
export const CATALOG = volatilities(PG_CATALOG_FUNCTIONS);

/** information_schema's helper functions (JDBC's metadata queries call them), by name. */
export const INFORMATION_SCHEMA = volatilities(INFORMATION_SCHEMA_FUNCTIONS);

/** pg_catalog types with no function of the same name: `regrole('x')` is a cast, not a call. */
export const CAST_TYPES: ReadonlySet<string> = new Set(CAST_ONLY_TYPES.split('\n').filter(Boolean));

/** Volatile in the catalog, but read-only and harmless: clients send them for metadata. */
const HARMLESS_VOLATILE = new Set([
  'random',
  'setseed',
  'clock_timestamp',
  'timeofday',
  'gen_random_uuid',
  'currval',
  'lastval',
  'pg_blocking_pids',
  'pg_safe_snapshot_blocking_pids',
  'pg_isolation_test_session_is_blocked',
  'pg_partition_ancestors',
  'pg_partition_tree',
  'pg_is_in_recovery',
  'pg_is_wal_replay_paused',
  'pg_get_wal_replay_pause_state',
  'pg_last_wal_receive_lsn',
  'pg_last_wal_replay_lsn',
  'pg_current_wal_lsn',
  'pg_current_wal_flush_lsn',
  'pg_current_wal_insert_lsn',
  'pg_last_xact_replay_timestamp',
  'pg_jit_available',
  'pg_lock_status',
  'pg_prepared_xact',
  'pg_notification_queue_usage',
  'pg_sequence_last_value',
  'pg_collation_actual_version',
  'pg_database_collation_actual_version',
  'pg_control_checkpoint',
  'pg_control_init',
  'pg_control_recovery',
  'pg_control_system',
  'pg_get_backend_memory_contexts',
  'pg_get_shmem_allocations',
  'pg_get_multixact_members',
  'pg_xact_commit_timestamp',
  'pg_xact_commit_timestamp_origin',
  'pg_last_committed_xact',
  'pg_xact_status',
  'txid_status',
  'current_query',
  'pg_stat_have_stats',
  'pg_stat_clear_snapshot',
  'pg_current_logfile',
  'pg_stat_get_recovery_prefetch',
  'pg_get_wal_resource_managers',
  'system',
  'bernoulli',
]);
const HARMLESS_VOLATILE_PATTERNS = [/^pg_[a-z_]*_size$/, /^pg_stat_get_xact_/];

/** Marked stable in the catalog but assigns a transaction id: not a plain read. */
const SIDE_EFFECT_STABLE = new Set(['txid_current', 'pg_current_xact_id']);

/** Functions with effects outside the statement, blocked wherever they appear, any schema or case. */
const BLOCKED = new Set([
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_rotate_logfile_old',
  'pg_stat_file',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_restore_point',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_logical_emit_message',
  'pg_replication_slot_advance',
  'pg_drop_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_create_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_import_system_collations',
  'pg_log_backend_memory_contexts',
  'pg_stop_making_pinned_objects',
  'pg_nextoid',
  'pg_export_snapshot',
  'pg_hba_file_rules',
  'pg_ident_file_mappings',
  'pg_show_all_file_settings',
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'ts_stat',
  'ts_rewrite',
  // read whole tables named by a string, out of reach of table rules
  'table_to_xml',
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'loread',
  'lowrite',
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
  'pg_advisory_unlock',
  'pg_advisory_unlock_shared',
  'pg_advisory_unlock_all',
  'pg_extension_config_dump',
  'pg_catalog_pg_extension_config_dump',
  'amvalidate',
  'currtid2',
  'brin_summarize_range',
  'brin_summarize_new_values',
  'brin_desummarize_range',
  'gin_clean_pending_list',
]);
const BLOCKED_PATTERNS: [RegExp, string][] = [
  [/^pg_read_/, 'reads server files'],
  [/^pg_ls_/, 'lists server directories'],
  [/^pg_file_/, 'writes server files'],
  [/^pg_logdir_/, 'lists server log files'],
  [/^lo_/, 'large objects reach server files and persist outside the transaction'],
  [/^dblink/, 'dblink runs SQL on another connection, outside the policy'],
  [/^pg_stat_reset/, 'resets server statistics'],
  [/^pg_replication_origin_/, 'changes replication state'],
  [/^pg_logical_slot_/, 'consumes or reads logical replication slots'],
  [/^binary_upgrade_/, 'internal upgrade function'],
  [/_handler$/, 'internal handler function'],
  [/^plpgsql_/, 'language handler'],
];

export interface FunctionVerdict {
  volatility: Volatility;
  /** why the function is blocked wherever it appears */
  blocked?: string;
  /** volatile (or side-effecting) but harmless */
  harmless?: boolean;
}

const verdicts = new Map<string, FunctionVerdict>();

/** Resolve a call the way PostgreSQL would for an unqualified or pg_catalog-qualified name (memoised). */
export function classifyFunction(schema: string | null, rawName: string): FunctionVerdict {
  const key = schema === null ? rawName : `${schema}\u0000${rawName}`;
  let verdict = verdicts.get(key);
  if (!verdict) {
    verdict = resolveFunction(schema, rawName);
    if (verdicts.size < 100_000) verdicts.set(key, verdict);
  }
  return verdict;
}

function resolveFunction(schema: string | null, rawName: string): FunctionVerdict {
  const name = rawName.toLowerCase();
  if (BLOCKED.has(name)) return { volatility: CATALOG.get(name) ?? 'unknown', blocked: 'has effects outside the statement' };
  for (const [re, why] of BLOCKED_PATTERNS) {
    if (re.test(name) && !(name === 'system' || name === 'bernoulli')) return { volatility: CATALOG.get(name) ?? 'unknown', blocked: why };
  }
  const inCatalog = schema === null || schema === 'pg_catalog';
  const known = inCatalog ? CATALOG : schema === 'information_schema' ? INFORMATION_SCHEMA : null;
  const volatility = known && name === rawName ? (known.get(name) ?? 'unknown') : 'unknown';
  if (volatility === 'unknown') return { volatility };
  if (SIDE_EFFECT_STABLE.has(name)) return { volatility: 'volatile' };
  if (volatility === 'volatile') {
    const harmless = HARMLESS_VOLATILE.has(name) || HARMLESS_VOLATILE_PATTERNS.some((re) => re.test(name));
    return { volatility, harmless };
  }
  return { volatility };
}
