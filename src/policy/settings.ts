// Which session settings an agent may change on its own (SET, RESET, SET TRANSACTION, set_config).
// Honest in both directions: a change that can widen what the role sees or does, or change how
// PostgreSQL reads later statement text, is refused; one that only narrows them, or only changes
// output, presentation or planning, runs at once.
import type { SettingChange, Tier, TimeoutClamp } from '../domain/decision.js';
import type { PolicyConfig } from '../config/schema.js';

/** Settings every change of which is refused: identity, replication, code loading, superuser switches. */
export const PROTECTED_SETTINGS = new Set([
  'session_replication_role',
  'role',
  'session_authorization',
  'allow_system_table_mods',
  'allow_in_place_tablespaces',
  'ignore_system_indexes',
  'ignore_checksum_failure',
  'zero_damaged_pages',
  'lo_compat_privileges',
  // where server code is loaded from, and what later sessions load
  'dynamic_library_path',
  'local_preload_libraries',
  'session_preload_libraries',
  // what the server records about the session is the DBA's record, not the agent's
  'track_activities',
  'update_process_title',
]);

const isTrue = (v: string | null) => v !== null && /^(on|true|yes|1)$/i.test(v.trim());

/**
 * Settings with a safe direction: only the values that keep (or narrow) what Airlock relies on pass.
 * Read-only mode on; standard_conforming_strings on (how Airlock's parser reads strings);
 * backslash_quote off or safe_encoding (with client_encoding fixed at UTF8 both only make `\'`
 * in E'' strings an error or leave it as it is).
 */
const ONE_WAY: Record<string, { ok: (v: string | null) => boolean; why: string }> = {
  default_transaction_read_only: { ok: isTrue, why: 'only on: off would let later transactions write' },
  transaction_read_only: { ok: isTrue, why: 'only on: off would let the transaction write' },
  standard_conforming_strings: { ok: isTrue, why: "only on: off changes how PostgreSQL reads '\\' in later statements" },
  backslash_quote: { ok: (v) => v !== null && /^(off|false|no|0|safe_encoding)$/i.test(v.trim()), why: 'only off or safe_encoding' },
};

/** Presentation, planner and storage-choice settings with no effect beyond the session's own queries. */
const HARMLESS_SETTINGS = new Set([
  'application_name',
  'search_path',
  'datestyle',
  'timezone',
  'timezone_abbreviations',
  'intervalstyle',
  'extra_float_digits',
  'escape_string_warning',
  'client_min_messages',
  'lc_messages',
  'bytea_output',
  'lc_monetary',
  'lc_numeric',
  'lc_time',
  'default_text_search_config',
  'xmlbinary',
  'xmloption',
  'work_mem',
  'hash_mem_multiplier',
  'jit',
  'random_page_cost',
  'seq_page_cost',
  'cpu_tuple_cost',
  'cpu_index_tuple_cost',
  'cpu_operator_cost',
  'effective_cache_size',
  'plan_cache_mode',
  'geqo',
  'join_collapse_limit',
  'from_collapse_limit',
  'max_parallel_workers_per_gather',
  'parallel_setup_cost',
  'parallel_tuple_cost',
  'constraint_exclusion',
  'cursor_tuple_fraction',
  'default_transaction_isolation',
  'transaction_isolation',
  'default_transaction_deferrable',
  'transaction_deferrable',
  // off makes a query on a table with row-level security fail instead of filtering: it only narrows
  'row_security',
  'array_nulls',
  'gin_fuzzy_search_limit',
  'enable_partition_pruning',
  'quote_all_identifiers',
  // the order of rows of a sequential scan (pg_dump turns it off)
  'synchronize_seqscans',
  'stats_fetch_consistency',
  // only for CREATE FUNCTION and CREATE TABLE/INDEX, which agents cannot run at once anyway
  'check_function_bodies',
  'default_tablespace',
  'default_table_access_method',
  'default_toast_compression',
]);

/** PostgreSQL's own spellings of UTF8 (it ignores case and punctuation in encoding names). */
const isUtf8Name = (v: string | null) => v !== null && ['utf8', 'unicode'].includes(v.toLowerCase().replace(/[^a-z0-9]/g, ''));

/**
 * client_encoding decides how PostgreSQL splits the bytes of every later statement into characters:
 * after SJIS/BIG5/GBK a byte 0x5C inside a character would be a backslash to Airlock's UTF-8 parser
 * only. The session is UTF8 from start to end; only setting it to UTF8 again (a no-op that libpq's
 * PQsetClientEncoding and pg_dump send) passes.
 */
function judgeClientEncoding(c: SettingChange): SettingVerdict {
  if ((c.action === 'set' || c.action === 'set_config') && isUtf8Name(c.value)) {
    return { tier: 'auto', rule: 'auto.setting', reason: 'client_encoding stays UTF8' };
  }
  return {
    tier: 'block',
    rule: 'block.client-encoding',
    reason: 'client_encoding must stay UTF8: another encoding would make PostgreSQL read later statements differently from Airlock',
  };
}

/** Timeouts Airlock enforces itself: a SET above the cap (0, none, included) is clamped by the door. */
const CLAMPED_TIMEOUTS = new Set(['statement_timeout', 'idle_in_transaction_session_timeout']);
/**
 * Timeouts Airlock does not rely on: lock waits stay inside statement_timeout, an idle session only
 * ends sooner, and a transaction's length is bounded by its statements and its idle time.
 */
const FREE_TIMEOUTS = new Set(['lock_timeout', 'idle_session_timeout', 'transaction_timeout']);

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A PostgreSQL time setting in milliseconds, or null when it cannot be read. */
export function timeoutMs(value: string | null): number | null {
  if (value === null) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/i.exec(value);
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[(m[2] ?? 'ms').toLowerCase()];
}

export interface SettingVerdict {
  tier: Tier;
  rule: string;
  reason: string;
  /** a SET of a timeout Airlock enforces: the door lowers a value above its cap to the cap */
  clamp?: TimeoutClamp;
}

function judgeTimeout(c: SettingChange, cfg: PolicyConfig): SettingVerdict {
  const name = c.name;
  if (c.action === 'reset') return { tier: 'auto', rule: 'auto.setting', reason: `reset ${name}` };
  const ms = timeoutMs(c.value);
  if (ms === null) return { tier: 'ask', rule: 'ask.timeout', reason: `${name} value ${c.value ?? '(not a constant)'} is not a time` };
  if (FREE_TIMEOUTS.has(name)) return { tier: 'auto', rule: 'auto.setting', reason: `${name} cannot lengthen what Airlock bounds` };
  const clamp = c.action === 'set' ? { setting: name, local: c.local, ms } : undefined;
  if (ms > 0 && ms <= cfg.maxTimeoutMs)
    return { tier: 'auto', rule: 'auto.setting', reason: `${name} within ${cfg.maxTimeoutMs} ms`, clamp };
  if (clamp) {
    const what = `${name} ${ms === 0 ? '0 (no limit)' : `above ${cfg.maxTimeoutMs} ms`}`;
    const capped =
      name === 'statement_timeout'
        ? `runs capped: the agent's statement-time cap (limits.statementTimeoutMs) still ends each statement`
        : `is lowered to Airlock's own (upstream.idleInTransactionTimeoutMs)`;
    return { tier: 'auto', rule: 'auto.timeout-clamped', reason: `${what} ${capped}`, clamp };
  }
  return {
    tier: 'ask',
    rule: 'ask.timeout',
    reason: `${name} must be between 1 ms and ${cfg.maxTimeoutMs} ms (SET is clamped; set_config is not)`,
  };
}

/**
 * restrict_nonsystem_relation_kind keeps views and foreign tables from being expanded (pg_dump sets
 * it to `view, foreign-table`): any list narrows; an empty one or RESET could lift a restriction.
 */
function judgeRestrictKinds(c: SettingChange): SettingVerdict {
  if (c.action !== 'reset' && c.value !== null && c.value.trim() !== '') {
    return { tier: 'auto', rule: 'auto.setting', reason: 'restrict_nonsystem_relation_kind only narrows' };
  }
  return { tier: 'ask', rule: 'ask.setting', reason: 'clearing restrict_nonsystem_relation_kind could lift a restriction' };
}

function judgeTransactionOption(c: SettingChange): SettingVerdict {
  const name = c.name;
  if (name === 'transaction_read_only' && c.value !== null && !/^(1|true|on)$/i.test(c.value)) {
    return { tier: 'block', rule: 'block.read-write', reason: 'READ WRITE transactions escape the read-only guard' };
  }
  if (['transaction_read_only', 'transaction_isolation', 'transaction_deferrable'].includes(name)) {
    return { tier: 'auto', rule: 'auto.transaction', reason: 'transaction characteristics' };
  }
  if (name === 'transaction' || name === 'session characteristics')
    return { tier: 'auto', rule: 'auto.transaction', reason: 'transaction characteristics' };
  return { tier: 'ask', rule: 'ask.setting', reason: `unknown transaction option ${name}` };
}

const protectedSetting = (name: string, why = 'a protected setting'): SettingVerdict => ({
  tier: 'block',
  rule: 'block.protected-setting',
  reason: `${name} is ${why}`,
});

/** Decide one setting change against the default policy. */
export function judgeSetting(c: SettingChange, cfg: PolicyConfig): SettingVerdict {
  const name = c.name;
  if (c.action === 'set_config' && name === '') {
    return { tier: 'block', rule: 'block.set-config', reason: 'set_config with a non-constant or unknown setting name' };
  }
  if (name === 'all') return { tier: 'block', rule: 'block.reset-all', reason: 'RESET ALL would clear the read-only session guard' };
  if (name === 'client_encoding' || name === 'names') return judgeClientEncoding(c);
  if (c.action === 'set-transaction') return judgeTransactionOption(c);
  if (PROTECTED_SETTINGS.has(name)) return protectedSetting(name);
  if (name.startsWith('log_')) return protectedSetting(name, "a logging setting: what the server logs is the DBA's record");
  // custom settings (app.tenant_id …) are what row-level security policies and views read
  if (name.includes('.')) return protectedSetting(name, 'a custom setting, which row-level security policies may read');
  const oneWay = ONE_WAY[name];
  if (oneWay) {
    if (c.action !== 'reset' && oneWay.ok(c.value)) return { tier: 'auto', rule: 'auto.setting', reason: `${name} keeps the safe value` };
    return protectedSetting(name, `a protected setting (${oneWay.why})`);
  }
  if (c.action === 'set_config' && c.value === null) {
    return { tier: 'block', rule: 'block.set-config', reason: `set_config('${name}', ...) with a non-constant value` };
  }
  if (name === 'search_path' && c.value !== null) {
    const parts = c.value.split(',').map((p) => p.trim().replace(/^"|"$/g, '').toLowerCase());
    if (parts.indexOf('pg_catalog') > 0) {
      return {
        tier: 'block',
        rule: 'block.search-path',
        reason: 'search_path must not put other schemas before pg_catalog (function shadowing)',
      };
    }
  }
  if (HARMLESS_SETTINGS.has(name) || name.startsWith('enable_')) {
    return { tier: 'auto', rule: 'auto.setting', reason: `harmless setting ${name}` };
  }
  if (CLAMPED_TIMEOUTS.has(name) || FREE_TIMEOUTS.has(name)) return judgeTimeout(c, cfg);
  if (name === 'restrict_nonsystem_relation_kind') return judgeRestrictKinds(c);
  return { tier: 'ask', rule: 'ask.setting', reason: `setting ${name || '(unknown)'} is not on the harmless list` };
}
