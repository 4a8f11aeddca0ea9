// The default SQL policy of shared/design.md, one statement at a time. Pure: analysis in, verdict out.
import type { AnalyzedStatement } from './analyze.js';
import type { PolicyConfig } from '../config/schema.js';
import type { FunctionRef, RiskFlag, Tier, TimeoutClamp } from '../domain/decision.js';
import { judgeSetting } from './settings.js';

export interface Verdict {
  tier: Tier;
  rule: string;
  reason: string;
  flags?: RiskFlag[];
  /** a timeout SET the door lowers to its cap */
  clamp?: TimeoutClamp;
}

const v = (tier: Tier, rule: string, reason: string, flags?: RiskFlag[]): Verdict => ({ tier, rule, reason, flags });
const ASK_BY_KIND = {
  write: 'writes data',
  ddl: 'changes the schema',
  maintenance: 'maintenance command',
  lock: 'takes table locks',
  call: 'calls a procedure',
  other: 'statement type not on the auto list',
} as const;

/** LockStmt.mode of `IN ACCESS SHARE MODE` (PostgreSQL's AccessShareLock). */
const ACCESS_SHARE = 1;

/** Airlock's own bookkeeping in the upstream database (exactly-once markers). */
const INTERNAL_SCHEMA = 'airlock_meta';

/**
 * Catalogs that hold credentials or the server's configuration files: password hashes (pg_authid,
 * pg_shadow), the raw user mappings, and what pg_hba.conf, pg_ident.conf and postgresql.conf say
 * (the functions behind those views are blocked already). Privileges decide who may read them; a
 * gateway connected as a superuser must not hand them out. pg_subscription and the user-mapping
 * views are left to privileges: pg_dump reads them (subscriptions as a superuser, user mappings
 * of each foreign server), and a dump through Airlock must work.
 */
const SECRET_CATALOGS = new Set([
  'pg_catalog.pg_authid',
  'pg_catalog.pg_shadow',
  'pg_catalog.pg_user_mapping',
  'pg_catalog.pg_hba_file_rules',
  'pg_catalog.pg_ident_file_mappings',
  'pg_catalog.pg_file_settings',
]);
/** An unqualified name resolves in pg_catalog first (a search_path putting a schema before it is refused). */
const secretCatalog = (t: string) => SECRET_CATALOGS.has(t) || SECRET_CATALOGS.has(`pg_catalog.${t}`);

/** Block-level checks that apply to every statement, whatever its kind. */
function blockedAnywhere(a: AnalyzedStatement, cfg: PolicyConfig): Verdict | null {
  const secret = a.tablesRead.find(secretCatalog) ?? a.tablesWritten.find(secretCatalog);
  if (secret !== undefined) {
    return v('block', 'block.credentials', `${secret} holds credentials or server configuration and is not readable by agents`);
  }
  if (
    a.tablesWritten.some((t) => t.toLowerCase().startsWith(`${INTERNAL_SCHEMA}.`)) ||
    (a.kind !== 'read' && a.kind !== 'explain' && a.tablesRead.some((t) => t.toLowerCase().startsWith(`${INTERNAL_SCHEMA}.`)))
  ) {
    return v('block', 'block.internal', `${INTERNAL_SCHEMA} holds Airlock's execution records and is not writable by agents`);
  }
  if (a.blockedFunctions.length > 0) {
    const f = a.blockedFunctions[0];
    return v('block', 'block.dangerous-function', `function ${f.name} is not allowed: ${f.reason}`);
  }
  for (const f of a.functions) {
    const name = f.name.toLowerCase();
    if (name.startsWith('pg_sleep')) {
      const secs = name === 'pg_sleep' && typeof f.constArgs[0] === 'number' ? f.constArgs[0] : null;
      const limitMs = cfg.maxTimeoutMs;
      if (secs === null || secs * 1000 > limitMs) {
        return v('block', 'block.sleep', `${name} longer than the statement timeout (${limitMs} ms) or of unknown length`);
      }
    }
  }
  return null;
}

/** The verdict for one analysed statement under the default policy. */
export function judgeStatement(a: AnalyzedStatement, cfg: PolicyConfig): Verdict {
  const blocked = blockedAnywhere(a, cfg);
  if (blocked) return blocked;
  switch (a.kind) {
    case 'drop':
      return v(
        'block',
        'block.drop',
        `DROP ${String(a.options.removeType ?? '').replace(/^OBJECT_/, '')} is never run for agents`.replace('  ', ' '),
      );
    case 'delete':
      return v(
        'block',
        'block.delete',
        a.node === 'TruncateStmt' ? 'TRUNCATE is never run for agents' : 'DELETE (anywhere in the statement) is never run for agents',
      );
    case 'privilege':
      return v('block', 'block.privilege', `${a.node.replace(/Stmt$/, '')} changes privileges, roles or server configuration`);
    case 'code':
      return v('block', 'block.code', `${a.node.replace(/Stmt$/, '')} runs or installs server-side code`);
    case 'set':
      return judgeSettings(a, cfg);
    case 'transaction':
      return judgeTransaction(a, cfg);
    case 'show':
      return v('auto', 'auto.show', 'SHOW reads a setting');
    case 'copy':
      return judgeCopy(a, cfg);
    case 'explain':
      return judgeExplain(a, cfg);
    case 'read':
      return judgeRead(a, cfg);
    case 'notify':
      return a.node === 'UnlistenStmt'
        ? v('auto', 'auto.unlisten', 'UNLISTEN only drops this session’s subscriptions')
        : v('ask', 'ask.notify', 'NOTIFY/LISTEN signal other sessions');
    case 'session':
      return judgeSession(a, cfg);
    case 'ddl':
      return judgeDdl(a);
    case 'lock':
      return a.options.lockMode === ACCESS_SHARE
        ? v('auto', 'auto.lock-access-share', 'ACCESS SHARE is the lock every SELECT takes (outside a transaction PostgreSQL refuses LOCK)')
        : v('ask', 'ask.lock', ASK_BY_KIND.lock);
    default:
      return v('ask', `ask.${a.kind}`, ASK_BY_KIND[a.kind as keyof typeof ASK_BY_KIND] ?? 'needs review', hiddenWriteFlags(a));
  }
}

const hiddenWriteFlags = (a: AnalyzedStatement): RiskFlag[] => a.flags.filter((f) => f !== 'unknown-function');

function judgeRead(a: AnalyzedStatement, cfg: PolicyConfig): Verdict {
  if (a.flags.includes('locking')) return v('ask', 'ask.locking', 'FOR UPDATE/SHARE takes row locks');
  const setting = a.settings.find((s) => s.action === 'set_config');
  if (setting) {
    const worst = judgeSettings(a, cfg);
    if (worst.tier !== 'auto') return worst;
  }
  const unknown = a.functions.find((f) => f.volatility === 'unknown');
  if (unknown) return v('ask', 'ask.unknown-function', `calls ${fname(unknown)}, which is not a known pg_catalog function`);
  const volatile = a.functions.find((f) => f.volatility === 'volatile' && !isHarmless(f));
  if (volatile) return v('ask', 'ask.volatile-function', `calls volatile function ${fname(volatile)}`);
  return v('auto', 'auto.read', 'read-only query with only safe functions');
}

const fname = (f: { schema: string | null; name: string }) => (f.schema ? `${f.schema}.${f.name}` : f.name);

/** Harmless volatile functions (allow-list), and set_config, which is judged as the SET it is. */
const isHarmless = (f: FunctionRef) => f.name === 'set_config' || Boolean(f.harmless);

function judgeSettings(a: AnalyzedStatement, cfg: PolicyConfig): Verdict {
  if (a.node === 'ConstraintsSetStmt') return v('auto', 'auto.set-constraints', 'SET CONSTRAINTS only defers checks');
  let worst: Verdict = v('auto', 'auto.setting', 'harmless setting');
  for (const s of a.settings) {
    const j = judgeSetting(s, cfg);
    if (j.tier === 'block') return { ...j, flags: ['protected-setting'] };
    if (j.tier === 'ask' && worst.tier === 'auto') worst = j;
    // a timeout SET the door lowers to its cap (a SET statement changes one setting)
    else if (j.clamp && worst.tier === 'auto') worst = j;
  }
  return worst;
}

function judgeTransaction(a: AnalyzedStatement, cfg: PolicyConfig): Verdict {
  const t = String(a.options.transaction);
  if (t === 'TRANS_STMT_COMMIT_PREPARED' || t === 'TRANS_STMT_ROLLBACK_PREPARED') {
    return v('block', 'block.prepared-transaction', 'finishing a prepared transaction acts on another session’s work');
  }
  if (t === 'TRANS_STMT_PREPARE') return v('ask', 'ask.prepare-transaction', 'PREPARE TRANSACTION leaves a transaction open in the server');
  const settings = judgeSettings(a, cfg);
  if (settings.tier !== 'auto') return settings;
  return v('auto', 'auto.transaction', 'transaction control');
}

function judgeCopy(a: AnalyzedStatement, cfg: PolicyConfig): Verdict {
  if (a.options.program)
    return v('block', 'block.copy-program', 'COPY ... PROGRAM runs a shell command on the server', ['server-file-access']);
  if (a.options.file) return v('block', 'block.copy-file', 'COPY to or from a server file', ['server-file-access']);
  if (a.options.from) return v('ask', 'ask.copy-from', 'COPY FROM STDIN writes rows');
  if (a.inner) return judgeStatement(a.inner, cfg);
  return v('auto', 'auto.copy-to', 'COPY TO STDOUT reads a table');
}

function judgeExplain(a: AnalyzedStatement, cfg: PolicyConfig): Verdict {
  if (!a.inner) return v('ask', 'ask.explain', 'EXPLAIN of an unknown statement');
  const inner = judgeStatement(a.inner, cfg);
  if (a.options.analyze) {
    if (inner.tier === 'auto') return v('auto', 'auto.explain-analyze', 'EXPLAIN ANALYZE of a safe read');
    return { ...inner, rule: inner.rule, reason: `EXPLAIN ANALYZE runs the statement: ${inner.reason}`, flags: ['explain-analyze'] };
  }
  if (inner.tier === 'block' && inner.rule === 'block.dangerous-function') return inner;
  if (a.inner.functions.some((f) => f.volatility === 'unknown')) {
    return v('ask', 'ask.explain-unknown-function', 'planning may run functions not known to be safe');
  }
  return v('auto', 'auto.explain', 'EXPLAIN without ANALYZE does not run the statement');
}

function judgeSession(a: AnalyzedStatement, cfg: PolicyConfig): Verdict {
  switch (a.node) {
    case 'PrepareStmt':
    case 'DeclareCursorStmt':
      if (!a.inner) return v('ask', 'ask.session', 'statement with no inner query');
      return judgeStatement(a.inner, cfg);
    case 'FetchStmt':
    case 'ClosePortalStmt':
    case 'DeallocateStmt':
      return v('auto', 'auto.cursor', 'cursor and prepared-statement housekeeping');
    case 'ExecuteStmt':
      return v('ask', 'ask.execute', 'EXECUTE runs a prepared statement whose text is not in this request');
    default:
      return v('ask', 'ask.session', `${a.node.replace(/Stmt$/, '')} changes session state`);
  }
}

const BLOCKED_ALTER_TABLE = new Set([
  'AT_DisableTrig',
  'AT_DisableTrigAll',
  'AT_DisableTrigUser',
  'AT_DisableRule',
  'AT_DisableRowSecurity',
  'AT_NoForceRowSecurity',
  'AT_ChangeOwner',
  'AT_EnableReplicaTrig',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaRule',
  'AT_EnableAlwaysRule',
]);

function judgeDdl(a: AnalyzedStatement): Verdict {
  if (typeof a.options.removes === 'string') {
    return v('block', 'block.drop', `${a.options.removes} removes an object: DROP is never run for agents, also inside ALTER`);
  }
  if (a.node === 'AlterTableStmt') {
    const bad = (a.options.subtypes as string[]).find((s) => BLOCKED_ALTER_TABLE.has(s));
    if (bad) return v('block', 'block.alter-table', `ALTER TABLE ${bad.replace(/^AT_/, '')} removes a safeguard`);
  }
  return v('ask', 'ask.ddl', 'changes the schema');
}
