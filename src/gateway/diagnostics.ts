// `airlock doctor`'s checks: is this installation safe to serve agents from? Each check is bounded
// (about 3 s) and read-only: it never creates a store, migrates, or changes a role. A check that
// fails says what it found and what to do, in one line each; the door decides how to print them.
// `applyUpstreamScript` is the one write here: `airlock setup-role --apply`, in one transaction.
import pg from 'pg';
import type { AirlockConfig } from '../config/schema.js';
import { parseUpstreamUrl } from '../upstream/url.js';
import { diagnosis, MAX_SKEW_MS, type Diagnosis } from './diagnosis.js';
import { probeUpstream, upstreamFindings } from './diagnostics-upstream.js';
import { probeRedis, probeStore, storeFindings } from './diagnostics-store.js';

export type { Diagnosis, DiagnosisStatus } from './diagnosis.js';

/** Run every check; independent ones at once, so doctor takes about one timeout at worst. */
export async function runDiagnostics(config: AirlockConfig): Promise<Diagnosis[]> {
  const [upstream, store, redis] = await Promise.all([
    probeUpstream(config.upstream.url),
    probeStore(config.store.url),
    probeRedis(config.redis.url),
  ]);
  const { before, skew: upstreamSkew } = upstreamFindings(config.upstream.url, upstream);
  const { findings: storeLines, skew: storeSkew } = storeFindings(config.store.url, store);
  return [...before, ...storeLines, redis, clockFinding(upstreamSkew, storeSkew)];
}

/** Local time against the upstream's and (PostgreSQL) the store's: approvals expire and audit times come from several clocks. */
function clockFinding(upstreamMs: number | null, storeMs: number | null): Diagnosis {
  const seen = [
    ['upstream', upstreamMs],
    ['store', storeMs],
  ].filter((x): x is [string, number] => x[1] !== null);
  if (!seen.length) return diagnosis('clock', 'skip', 'no PostgreSQL server answered to compare the local clock with');
  const text = seen
    .map(([name, ms]) =>
      Math.round(Math.abs(ms)) === 0
        ? `in step with the ${name}`
        : `${Math.abs(Math.round(ms))} ms ${ms > 0 ? 'behind' : 'ahead of'} the ${name}`,
    )
    .join(', ');
  const off = seen.filter(([, ms]) => Math.abs(ms) > MAX_SKEW_MS);
  if (!off.length) return diagnosis('clock', 'ok', `local clock ${text}`);
  return diagnosis(
    'clock',
    'warn',
    `local clock ${text} (more than ${MAX_SKEW_MS / 1000} s)`,
    'run NTP (chrony, systemd-timesyncd) on this machine and the database servers: approval expiry and audit times depend on it',
  );
}

/** The database an upstream URL names (setup-role grants CONNECT on it). */
export const upstreamDatabase = (url: string): string => parseUpstreamUrl(url).defaultDatabase;

/**
 * Run statements on the upstream in one transaction (setup-role --apply), in `database` when given;
 * nothing stays applied when one fails, and the error quotes the statement as `shown` has it (the
 * same statements with their passwords masked).
 */
export async function applyUpstreamScript(
  url: string,
  script: { statements: readonly string[]; shown: readonly string[] },
  database?: string,
): Promise<void> {
  const target = parseUpstreamUrl(url);
  const client = new pg.Client({ ...target.base, database: database ?? target.defaultDatabase, application_name: 'airlock setup-role' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const [i, sql] of script.statements.entries()) {
      try {
        await client.query(sql);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        const text = (script.shown[i] ?? '').replace(/\s+/g, ' ');
        const quoted = text.length > 100 ? `${text.slice(0, 100)}…` : text;
        throw new Error(`statement ${i + 1} failed, nothing was applied: ${(err as Error).message} (in: ${quoted})`, { cause: err });
      }
    }
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => undefined);
  }
}
