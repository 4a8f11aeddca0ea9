// The wire proxy's own server connections honour the upstream URL's sslmode as the pg pools behind
// MCP and HTTP read it: TLS when asked (checked by the server's pg_stat_ssl), refused when the server
// has none (prefer too: one URL never gives one door TLS and another plain text), plain text when
// disabled, and certificates verified under verify-full.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { DATABASE_URL } from '../helpers/env.js';
import { startOwnCluster, type OwnCluster } from '../helpers/own-cluster.js';
import { createDatabase, directUrlFor, dropDatabase, startProxy, type Proxy } from './helpers/proxy.js';

/** A self-signed certificate the cluster's postgres user can read. */
function selfSigned(): { dir: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-tls-'));
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '2'],
    {
      stdio: 'pipe',
    },
  );
  chmodSync(key, 0o600);
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const p of [dir, cert, key]) chownSync(p, uid, gid);
  }
  return { dir, cert, key };
}

/** Through a proxy whose upstream URL is `url`: whether the proxy's server connection is in TLS. */
async function upstreamSsl(proxy: Proxy): Promise<boolean> {
  const c = new pg.Client(proxy.url());
  await c.connect();
  try {
    const r = await c.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return r.rows[0].ssl as boolean;
  } finally {
    await c.end();
  }
}

/** The error a client gets connecting through the proxy (null when it connects). */
async function connectError(proxy: Proxy): Promise<(Error & { code?: string }) | null> {
  const c = new pg.Client(proxy.url());
  return c.connect().then(
    async () => (await c.end(), null),
    (e: Error & { code?: string }) => e,
  );
}

const withProxy = async <T>(url: string, database: string, f: (p: Proxy) => Promise<T>): Promise<T> => {
  const proxy = await startProxy({ database, extra: { upstream: { url, statementTimeoutMs: 15_000, poolSize: 2 } } });
  try {
    return await f(proxy);
  } finally {
    await proxy.close();
  }
};

describe('sslmode of the upstream URL on the wire proxy', () => {
  let cluster: OwnCluster;
  let certs: ReturnType<typeof selfSigned>;
  beforeAll(async () => {
    certs = selfSigned();
    cluster = await startOwnCluster({ ssl: 'on', ssl_cert_file: certs.cert, ssl_key_file: certs.key });
  });
  afterAll(() => {
    cluster?.destroy();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('require: the proxy talks to PostgreSQL in TLS', async () => {
    expect(await withProxy(`${cluster.url('postgres')}?sslmode=require`, 'postgres', upstreamSsl)).toBe(true);
  });

  it('disable (or no sslmode): plain text, as before', async () => {
    expect(await withProxy(`${cluster.url('postgres')}?sslmode=disable`, 'postgres', upstreamSsl)).toBe(false);
    expect(await withProxy(cluster.url('postgres'), 'postgres', upstreamSsl)).toBe(false);
  });

  it('verify-full: a certificate no CA vouches for is refused (08006), never used unverified', async () => {
    const err = await withProxy(`${cluster.url('postgres')}?sslmode=verify-full`, 'postgres', connectError);
    expect(err).toMatchObject({ code: '08006' });
  });

  it('require, and prefer too, against a server without TLS fail (08006) instead of going on in plain text', async () => {
    const c = new pg.Client(DATABASE_URL);
    await c.connect();
    const sharedSsl = (await c.query("SELECT current_setting('ssl') = 'on' AS on")).rows[0].on as boolean;
    await c.end();
    // the machine's shared server runs without TLS (as here and in CI); one that has it proves nothing here
    if (sharedSsl) return;
    // a database of its own: the shared one holds other tests' functions, which would hold the probe for review
    const db = await createDatabase('tls');
    const noTls = (mode: string) => {
      const u = new URL(directUrlFor(db));
      u.searchParams.set('sslmode', mode);
      return u.toString();
    };
    try {
      const refused = await withProxy(noTls('require'), db, connectError);
      expect(refused).toMatchObject({ code: '08006' });
      expect(refused?.message).not.toMatch(/127\.0\.0\.1|SSL/); // where and why are for the log, not the agent
      expect(await withProxy(noTls('prefer'), db, connectError)).toMatchObject({ code: '08006' });
      expect(await withProxy(noTls('disable'), db, upstreamSsl)).toBe(false);
    } finally {
      await dropDatabase(db);
    }
  });
});
