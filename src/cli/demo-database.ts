// The demo on a real PostgreSQL server (`airlock demo --upstream URL`): create the demo database
// there if needed and load the sample tables into it.
import { userInfo } from 'node:os';
import pg from 'pg';

/** Create `database` on `server` when missing, load `sql` into it, and return its URL. */
export async function prepareDemoDatabase(server: string, database: string, sql: string): Promise<string> {
  // libpq's default when the URL names no user: PGUSER, USER, else the OS account (USER may be unset)
  const named = new URL(server);
  if (!named.username && !named.searchParams.get('user')) {
    named.username = encodeURIComponent(process.env.PGUSER || process.env.USER || userInfo().username);
  }
  const admin = new pg.Client({ connectionString: named.toString() });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(named.toString());
  url.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
  return url.toString();
}
