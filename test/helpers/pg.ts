// Small PostgreSQL helpers for tests: one client for one piece of work, and psql as a user runs it.
import { execFileSync } from 'node:child_process';
import pg from 'pg';

/** Connect to `url`, run `fn`, always disconnect. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `psql -X -At URL -c SQL`: its stdout, or its stderr when it fails. */
export function psqlCommand(url: string, sql: string): { out: string; err: string } {
  try {
    return { out: execFileSync('psql', ['-X', '-At', url, '-c', sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), err: '' };
  } catch (e) {
    return { out: '', err: String((e as { stderr?: string }).stderr ?? e) };
  }
}
