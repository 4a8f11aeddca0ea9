// Which client startup parameters reach the upstream session. Only harmless settings pass (the same
// ones the policy lets an agent SET); protected ones are refused so a connection string can never
// turn off read-only mode or change identity. The result also keys the upstream sub-pool.
import { insufficientPrivilege, featureNotSupported, invalidAuthorization } from '../errors.js';

/** lower-case GUC name → name sent upstream */
const PASS = {
  application_name: 'application_name',
  client_encoding: 'client_encoding',
  datestyle: 'DateStyle',
  timezone: 'TimeZone',
  intervalstyle: 'IntervalStyle',
  extra_float_digits: 'extra_float_digits',
  search_path: 'search_path',
  bytea_output: 'bytea_output',
  client_min_messages: 'client_min_messages',
  lc_monetary: 'lc_monetary',
  lc_numeric: 'lc_numeric',
  lc_time: 'lc_time',
  geqo: 'geqo',
} as const satisfies Record<string, string>;

/** Parameters consumed by the proxy itself. */
const OWN = new Set(['user', 'database', 'options']);

export interface FilteredStartup {
  user: string;
  database: string;
  /** settings forwarded upstream (and the pool key) */
  settings: Record<string, string>;
  /** `_pq_.` protocol options the client asked for; answered with NegotiateProtocolVersion */
  unsupportedOptions: string[];
  applicationName?: string;
}

/** Splits a libpq `options` string into -c name=value pairs (backslash escapes spaces). */
export function parseOptions(options: string): [string, string][] {
  const words: string[] = [];
  let cur = '';
  let esc = false;
  for (const ch of options) {
    if (esc) {
      cur += ch;
      esc = false;
    } else if (ch === '\\') esc = true;
    else if (/\s/.test(ch)) {
      if (cur) words.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) words.push(cur);
  const out: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    let w = words[i];
    if (w === '-c') w = words[++i] ?? '';
    else if (w.startsWith('-c')) w = w.slice(2);
    else if (w.startsWith('--')) w = w.slice(2);
    else throw featureNotSupported(`unsupported startup option "${words[i]}"`);
    const eq = w.indexOf('=');
    if (eq <= 0) throw featureNotSupported(`invalid startup option "${w}"`);
    out.push([w.slice(0, eq).replace(/-/g, '_'), w.slice(eq + 1)]);
  }
  return out;
}

/** Validates startup parameters; throws an AirlockError (42501 / 0A000 / 28000) to refuse the connection. */
export function filterStartup(params: Record<string, string>): FilteredStartup {
  const user = params.user;
  if (!user) throw invalidAuthorization('no agent name specified in the startup packet');
  if (
    params.replication !== undefined &&
    params.replication.toLowerCase() !== 'false' &&
    params.replication !== '0' &&
    params.replication !== 'off'
  ) {
    throw insufficientPrivilege('replication connections are not allowed through Airlock');
  }
  const settings: Record<string, string> = {};
  const unsupportedOptions: string[] = [];
  const add = (name: string, value: string, explicit: boolean) => {
    const key = name.toLowerCase();
    const mapped = (PASS as Record<string, string>)[key];
    if (mapped) {
      settings[mapped] = value;
      return;
    }
    if (explicit) throw insufficientPrivilege(`setting "${name}" can not be set at connection time through Airlock`);
  };
  for (const [k, v] of Object.entries(params)) {
    if (OWN.has(k) || k === 'replication') continue;
    if (k.startsWith('_pq_.')) {
      unsupportedOptions.push(k);
      continue;
    }
    // plain startup parameters that are not harmless are refused when they look like protected GUCs
    const lower = k.toLowerCase();
    if (PROTECTED.has(lower)) throw insufficientPrivilege(`setting "${k}" can not be set at connection time through Airlock`);
    add(k, v, false);
  }
  if (params.options) for (const [k, v] of parseOptions(params.options)) add(k, v, true);
  if (settings.client_encoding && !/^(utf-?8|unicode)$/i.test(settings.client_encoding)) {
    // the proxy decodes SQL text as UTF-8 for classification, so other encodings are refused
    throw featureNotSupported(`client_encoding "${settings.client_encoding}" is not supported; use UTF8`);
  }
  if (settings.client_encoding) settings.client_encoding = 'UTF8';
  return { user, database: params.database || user, settings, unsupportedOptions, applicationName: settings.application_name };
}

const PROTECTED = new Set([
  'default_transaction_read_only',
  'transaction_read_only',
  'session_replication_role',
  'role',
  'session_authorization',
  'statement_timeout',
  'standard_conforming_strings',
  'backslash_quote',
  'default_transaction_isolation',
  'idle_in_transaction_session_timeout',
  'lock_timeout',
  'search_path_override',
]);
