// Doctor's look at the store, the vault's master key and Redis. The store is only read: a SQLite
// file that is not there stays not there (the operator runs `airlock migrate`), and a store behind
// on migrations is reported rather than migrated.
import { existsSync } from 'node:fs';
import { redactUrl } from '../domain/redact-url.js';
import { parseStoreUrl } from '../store/open.js';
import { loadMigrations } from '../store/migrate.js';
import { loadMasterKey, masterKeyFile } from '../vault/master-key.js';
import { keyMatches } from '../vault/cipher.js';
import { bounded, CHECK_MS, connectionProblem, diagnosis, withPgClient, type Diagnosis } from './diagnosis.js';

/** What doctor reads from a store, whichever dialect. */
interface StoreFacts {
  dialect: 'sqlite' | 'postgres';
  /** highest applied migration; null when the store was never migrated */
  version: number | null;
  keyCheck: string | null;
  secrets: number;
  /** the store server's clock minus the local one (PostgreSQL only) */
  skewMs: number | null;
}

export type StoreProbe = ({ ok: true } & StoreFacts) | { ok: false; missing?: string; memory?: boolean; error?: unknown; flag?: boolean };

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/** A query whose table may not exist yet (a store from before its migration): no rows then. */
const orNone = async (q: Query, sql: string) => {
  try {
    return await q(sql);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === '42P01' || /no such table/i.test(String(e.message))) return null;
    throw err;
  }
};

async function readFacts(dialect: StoreFacts['dialect'], q: Query, skewMs: number | null): Promise<StoreFacts> {
  const version = await orNone(q, 'SELECT max(version) AS v FROM schema_migrations');
  const check = await orNone(q, 'SELECT key_check FROM vault_meta WHERE id = 1');
  const secrets = await orNone(q, 'SELECT count(*) AS n FROM vault_secrets');
  return {
    dialect,
    version: version?.[0]?.v == null ? null : Number(version[0].v),
    keyCheck: check?.length ? String(check[0].key_check) : null,
    secrets: secrets ? Number(secrets[0].n) : 0,
    skewMs,
  };
}

/** Read the store's schema version and vault state, without creating or changing anything. */
export async function probeStore(url: string): Promise<StoreProbe> {
  try {
    const t = parseStoreUrl(url);
    if (t.kind === 'sqlite') {
      if (t.path === ':memory:') return { ok: false, memory: true };
      if (!existsSync(t.path)) return { ok: false, missing: t.path };
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(t.path, { readonly: true, fileMustExist: true, timeout: CHECK_MS });
      try {
        return { ok: true, ...(await readFacts('sqlite', async (sql) => db.prepare(sql).all() as Record<string, unknown>[], null)) };
      } finally {
        db.close();
      }
    }
    const u = new URL(t.url);
    const schema = u.searchParams.get('schema');
    u.searchParams.delete('schema');
    const options = schema ? `-c search_path="${schema.replace(/"/g, '""')}"` : undefined;
    return await withPgClient({ connectionString: u.toString(), options, application_name: 'airlock doctor' }, async (c) => {
      const before = Date.now();
      const now = await c.query<{ ms: string }>('SELECT extract(epoch FROM clock_timestamp()) * 1000 AS ms');
      const skew = Number(now.rows[0].ms) - (before + Date.now()) / 2;
      return { ok: true as const, ...(await readFacts('postgres', async (sql) => (await c.query(sql)).rows, skew)) };
    });
  } catch (error) {
    return { ok: false, error };
  }
}

const latestVersion = (dialect: StoreFacts['dialect']) => Math.max(0, ...loadMigrations(dialect).map((m) => m.version));

/** The store and master-key lines of the report, and the store's clock skew (null unless PostgreSQL answered). */
export function storeFindings(url: string, p: StoreProbe): { findings: Diagnosis[]; skew: number | null } {
  const where = redactUrl(url);
  if (!p.ok) {
    const skipKey = diagnosis('master-key', 'skip', 'the store could not be read');
    if (p.memory) {
      return {
        findings: [
          diagnosis(
            'store',
            'warn',
            'in-memory store (sqlite::memory:): agents, approvals and the audit trail are lost at exit',
            'use sqlite:PATH or postgresql://... for a gateway that serves agents',
          ),
          diagnosis('master-key', 'skip', 'an in-memory store has no vault to open'),
        ],
        skew: null,
      };
    }
    if (p.missing) {
      return {
        findings: [
          diagnosis(
            'store',
            'danger',
            `the store ${p.missing} does not exist`,
            "run `airlock migrate` to create it, or point --store (AIRLOCK_STORE_URL) at the gateway's store",
          ),
          skipKey,
        ],
        skew: null,
      };
    }
    const { finding, hint } = connectionProblem(p.error, "the store's PostgreSQL", '--store (AIRLOCK_STORE_URL, store.url)');
    return { findings: [diagnosis('store', 'danger', `${where}: ${finding}`, hint), skipKey], skew: null };
  }
  return { findings: [versionFinding(where, p), masterKeyFinding(url, p)], skew: p.skewMs };
}

function versionFinding(where: string, p: StoreFacts): Diagnosis {
  const latest = latestVersion(p.dialect);
  if (p.version === null) return diagnosis('store', 'danger', `${where} is not migrated (no schema_migrations)`, 'run `airlock migrate`');
  if (p.version < latest) {
    return diagnosis(
      'store',
      'danger',
      `${where} is at schema version ${p.version}, this airlock needs ${latest}`,
      'run `airlock migrate`',
    );
  }
  if (p.version > latest) {
    return diagnosis(
      'store',
      'warn',
      `${where} is at schema version ${p.version}, newer than this airlock (${latest})`,
      'upgrade this airlock to the version that migrated the store',
    );
  }
  return diagnosis('store', 'ok', `${where} reachable, schema version ${p.version} (up to date)`);
}

/** The vault needs its master key only once it holds secrets; the key check proves it is the right key. */
function masterKeyFinding(url: string, p: StoreFacts): Diagnosis {
  if (p.keyCheck === null && p.secrets === 0) return diagnosis('master-key', 'ok', 'the vault is empty: no master key needed yet');
  let key: ReturnType<typeof loadMasterKey>;
  try {
    key = loadMasterKey(url, undefined, false);
  } catch (err) {
    return diagnosis('master-key', 'danger', (err as Error).message, 'set AIRLOCK_MASTER_KEY to the key the vault was created with');
  }
  const file = masterKeyFile(url);
  if (!key) {
    return diagnosis(
      'master-key',
      'danger',
      `the vault holds ${p.secrets} secret(s) but no master key was found (AIRLOCK_MASTER_KEY${file ? `, ${file}` : ''})`,
      'restore the key file from its backup, or set AIRLOCK_MASTER_KEY (or AIRLOCK_MASTER_KEY_FILE); without it the secrets cannot be read',
    );
  }
  if (p.keyCheck === null)
    return diagnosis('master-key', 'warn', `key from ${key.source}; the vault has no key check to verify it against`);
  if (!keyMatches(key.key, p.keyCheck)) {
    return diagnosis(
      'master-key',
      'danger',
      `the master key from ${key.source} does not open this vault (it was created under another key)`,
      'set AIRLOCK_MASTER_KEY (or AIRLOCK_MASTER_KEY_FILE) to the original key',
    );
  }
  return diagnosis('master-key', 'ok', `the key from ${key.source} opens the vault (${p.secrets} secret(s))`);
}

/** PING with a short timeout and no retries; skipped when no Redis is configured (in-process queue). */
export async function probeRedis(url: string | undefined): Promise<Diagnosis> {
  if (!url) return diagnosis('redis', 'skip', 'no REDIS_URL (redis.url): approvals use the in-process queue');
  const where = redactUrl(url);
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: CHECK_MS,
    commandTimeout: CHECK_MS,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // a server that never answers would hold a politely ended socket open: dropped after this
    disconnectTimeout: 100,
  });
  // ioredis rejects with "Connection is closed."; the socket's own error says why
  let cause: unknown;
  redis.on('error', (err) => (cause ??= err));
  try {
    await bounded(redis.connect().then(() => redis.ping()));
    return diagnosis('redis', 'ok', `${where} answers PING`);
  } catch (err) {
    const { finding, hint } = connectionProblem(cause ?? err, 'Redis', '--redis (REDIS_URL, redis.url)');
    return diagnosis('redis', 'danger', `${where}: ${finding}`, `${hint}. Until it answers, ask-tier requests fail closed`);
  } finally {
    redis.disconnect();
  }
}
