// One finding of `airlock doctor` and the helpers every check shares: a bound on how long a check
// may take, a pg client that is always ended, and one-line descriptions of connection failures.
import pg from 'pg';
import { raceTimeout as within } from '../domain/race-timeout.js';

export const DIAGNOSIS_STATUSES = ['ok', 'warn', 'danger', 'skip'] as const;
export type DiagnosisStatus = (typeof DIAGNOSIS_STATUSES)[number];

/** One finding: `check` is a stable name (upstream, upstream-role, ...), `hint` what to do when not ok. */
export interface Diagnosis {
  check: string;
  status: DiagnosisStatus;
  finding: string;
  hint: string | null;
}

/** How long one check may take (connect and queries together). */
export const CHECK_MS = 3000;
/** a clock further off than this is reported */
export const MAX_SKEW_MS = 2000;

export const diagnosis = (check: string, status: DiagnosisStatus, finding: string, hint: string | null = null): Diagnosis => ({
  check,
  status,
  finding,
  hint,
});

/** A check's work bounded by CHECK_MS: a host that never answers is a finding, not a hang. */
export async function bounded<T>(work: Promise<T>, ms = CHECK_MS): Promise<T> {
  const r = await within(work, ms);
  if (r === 'timeout') throw Object.assign(new Error(`no answer within ${ms / 1000} s`), { code: 'ETIMEDOUT' });
  return r.value;
}

/** A pg client for one check: connect and queries bounded, always ended (even after a timeout). */
export async function withPgClient<T>(config: pg.ClientConfig, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: CHECK_MS, query_timeout: CHECK_MS });
  client.on('error', () => undefined);
  try {
    return await bounded(client.connect().then(() => fn(client)));
  } finally {
    await within(
      client.end().catch(() => undefined),
      500,
    );
  }
}

type NodeError = Error & { code?: string; address?: string; port?: number; errors?: NodeError[] };

/** What went wrong connecting to a server, in one line, and what to do about it. */
export function connectionProblem(err: unknown, what: string, flag: string): { finding: string; hint: string } {
  const top = err as NodeError;
  const e = !top?.code && Array.isArray(top?.errors) && top.errors.length ? top.errors[0] : top;
  const message = String(e?.message ?? err).split('\n')[0];
  const check = `check ${flag}`;
  switch (e?.code) {
    case 'ECONNREFUSED':
      return {
        finding: `connection refused at ${e.address ?? '?'}:${e.port ?? '?'}`,
        hint: `nothing listens there: start ${what}, or ${check}`,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { finding: `host not found (${message.replace(/^getaddrinfo \w+ /, '')})`, hint: `${check}: the host name does not resolve` };
    case 'ETIMEDOUT':
      return { finding: message.startsWith('no answer') ? message : 'connection timed out', hint: `${check}; is a firewall in the way?` };
    case '28P01':
    case '28000':
      return {
        finding: `authentication failed: ${message}`,
        hint: `check the user and password in ${flag}, and pg_hba.conf on the server`,
      };
    case '3D000':
      return { finding: message, hint: `${check}: name a database that exists` };
  }
  if (/password|SASL|SCRAM/i.test(message)) return { finding: `authentication failed: ${message}`, hint: `give the password in ${flag}` };
  if (/terminated unexpectedly|ECONNRESET|socket hang up/i.test(message)) {
    return { finding: `the server closed the connection (${message})`, hint: `${check}: is ${what} listening on that host and port?` };
  }
  if (/timeout/i.test(message))
    return { finding: `no answer within ${CHECK_MS / 1000} s (${message})`, hint: `${check}; is a firewall in the way?` };
  return { finding: message, hint: check };
}
