// The wire proxy's server connections follow what the upstream URL says, as the pg pools behind the
// other doors do: a socket directory written the libpq way (postgresql://user@/db?host=<dir>) carries
// queries and cancels over PostgreSQL's Unix socket, and the URL's options start every session
// (without overriding the proxy's own read-only and timeout settings).
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { DATABASE_URL } from '../helpers/env.js';
import { cancelThroughProxy, startProxy, type Proxy } from './helpers/proxy.js';

const direct = new URL(DATABASE_URL);
const port = Number(direct.port || 5432);
/** the local server's socket directory (Debian's, or the compiled-in default) */
const socketDir = [process.env.AIRLOCK_TEST_PG_SOCKET_DIR, '/var/run/postgresql', '/tmp'].find(
  (d) => d && existsSync(`${d}/.s.PGSQL.${port}`),
);

describe.skipIf(!socketDir)('upstream over a Unix socket', () => {
  let proxy: Proxy;
  beforeAll(async () => {
    const url = `postgresql://${direct.username || 'root'}@${direct.pathname}?host=${encodeURIComponent(socketDir!)}&port=${port}`;
    proxy = await startProxy({ extra: { upstream: { url, statementTimeoutMs: 15_000, poolSize: 3 } } });
  });
  afterAll(async () => proxy?.close());

  it('runs statements over the socket (the server sees no client address)', async () => {
    const c = new pg.Client(proxy.url());
    await c.connect();
    try {
      const r = await c.query('SELECT current_database() AS db, inet_server_addr() AS addr, 1 + $1::int AS two', [1]);
      expect(r.rows).toEqual([{ db: proxy.database, addr: null, two: 2 }]);
    } finally {
      await c.end();
    }
  });

  it('cancels a running statement over the socket too', async () => {
    const { code, ms, after } = await cancelThroughProxy(proxy, 'SELECT pg_sleep(20)', 300);
    expect(code).toBe('57014');
    expect(ms).toBeLessThan(10_000);
    expect(after).toBe(1);
  });

  it('refuses with 08006 when the socket is not there (the agent is not told where it looked)', async () => {
    const missing = await startProxy({
      extra: { upstream: { url: `postgresql://root@/${proxy.database}?host=/nonexistent-airlock-dir`, poolSize: 1 } },
    });
    try {
      const c = new pg.Client(missing.url());
      const err = await c.connect().then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
      expect(err).toMatchObject({ code: '08006' });
      expect(err?.message).not.toContain('nonexistent-airlock-dir');
    } finally {
      await missing.close();
    }
  });
});

describe("the URL's options", () => {
  let proxy: Proxy;
  beforeAll(async () => {
    const u = new URL(DATABASE_URL);
    // the operator's own setting, and one that must not win over the proxy's read-only sessions
    u.searchParams.set('options', '-c work_mem=7MB -c default_transaction_read_only=off');
    proxy = await startProxy({ extra: { upstream: { url: u.toString(), statementTimeoutMs: 15_000, poolSize: 2 } } });
  });
  afterAll(async () => proxy?.close());

  it('start every wire session, under the settings the proxy sets itself', async () => {
    const c = new pg.Client(proxy.url());
    await c.connect();
    try {
      expect((await c.query('SHOW work_mem')).rows).toEqual([{ work_mem: '7MB' }]);
      expect((await c.query('SHOW default_transaction_read_only')).rows).toEqual([{ default_transaction_read_only: 'on' }]);
    } finally {
      await c.end();
    }
  });
});
