// Which session settings an agent may change on its own (SET, RESET, SET TRANSACTION, set_config).
import type { SettingChange, Tier } from '../domain/decision.js';
import type { PolicyConfig } from '../config/schema.js';

/** Settings that would let a session leave read-only mode, change identity or change how SQL is lexed. */
export const PROTECTED_SETTINGS = new Set([
  'default_transaction_read_only',
  'transaction_read_only',
  'session_replication_role',
  'standard_conforming_strings',
  'backslash_quote',
  'role',
  'session_authorization',
  'allow_system_table_mods',
  'ignore_system_indexes',
  'zero_damaged_pages',
  'lo_compat_privileges',
]);

/** Presentation and planner settings with no effect beyond the session's own queries. */
const HARMLESS_SETTINGS = new Set([
  'application_name',
  'search_path',
  'datestyle',
  'timezone',
  'intervalstyle',
  'extra_float_digits',
  'escape_string_warning',
  'client_min_messages',
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
  'row_security',
  'array_nulls',
  'gin_fuzzy_search_limit',
  'enable_partition_pruning',
  'quote_all_identifiers',
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

const TIMEOUT_SETTINGS = new Set(['statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout']);

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
}

/** Decide one setting change against the default policy. */
export function judgeSetting(c: SettingChange, cfg: PolicyConfig): SettingVerdict {
  const name = c.name;
  if (c.action === 'set_config' && name === '') {
    return { tier: 'block', rule: 'block.set-config', reason: 'set_config with a non-constant or unknown setting name' };
  }
  if (name === 'all') return { tier: 'block', rule: 'block.reset-all', reason: 'RESET ALL would clear the read-only session guard' };
  if (name === 'client_encoding' || name === 'names') return judgeClientEncoding(c);
  if (c.action === 'set-transaction') {
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
  if (PROTECTED_SETTINGS.has(name)) {
    return { tier: 'block', rule: 'block.protected-setting', reason: `${name} is a protected setting` };
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
  if (TIMEOUT_SETTINGS.has(name)) {
    if (c.action === 'reset') return { tier: 'auto', rule: 'auto.setting', reason: `reset ${name}` };
    const ms = timeoutMs(c.value);
    if (ms !== null && ms > 0 && ms <= cfg.maxTimeoutMs)
      return { tier: 'auto', rule: 'auto.setting', reason: `${name} within ${cfg.maxTimeoutMs} ms` };
    return { tier: 'ask', rule: 'ask.timeout', reason: `${name} must be between 1 ms and ${cfg.maxTimeoutMs} ms` };
  }
  return { tier: 'ask', rule: 'ask.setting', reason: `setting ${name || '(unknown)'} is not on the harmless list` };
}
