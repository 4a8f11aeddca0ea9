// Session-level behaviour with exact bytes: SSL/GSSENC negotiation, TLS, authentication failures
// (audited), refused startups, fastpath, unknown messages, size limits, extended-protocol ordering.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { startupMessage } from '../../protocol/index.js';
import { cancelThroughProxy, startProxy, type Proxy } from './helpers/proxy.js';
import { RawClient, fields } from './helpers/raw-client.js';

let proxy: Proxy;
beforeAll(async () => {
  proxy = await startProxy({ config: { maxMessageBytes: 64 * 1024 } });
});
afterAll(async () => proxy?.close());

const login = (extra?: Record<string, string>) => RawClient.login(proxy.server.port, proxy.agent, proxy.token, proxy.database, extra);

describe('negotiation and startup', () => {
  it('declines SSL and GSSENC when no certificate is configured, then accepts the startup', async () => {
    for (const code of [80877103, 80877104]) {
      const c = await RawClient.connect(proxy.server.port);
      const req = Buffer.alloc(8);
      req.writeInt32BE(8, 0);
      req.writeInt32BE(code, 4);
      c.socket.removeAllListeners('data');
      const answer = new Promise<Buffer>((resolve) => c.socket.once('data', resolve));
      c.send(req);
      expect((await answer).toString()).toBe('N');
      c.close();
    }
  });

  it('speaks TLS when a certificate is configured (psql sslmode=require)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tlsProxy = await startProxy({
      config: { tls: { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: join(dir, 'key.pem') } },
    });
    try {
      const { stdout } = await promisify(execFile)('psql', ['-X', '-At', tlsProxy.url('?sslmode=require'), '-c', 'SELECT 1'], {
        encoding: 'utf8',
      });
      expect(stdout.trim()).toBe('1');
    } finally {
      await tlsProxy.close();
    }
    await expect(promisify(execFile)('psql', ['-X', '-At', proxy.url('?sslmode=require'), '-c', 'SELECT 1'])).rejects.toThrow(/SSL/);
  });

  it('refuses a wrong token or an unknown agent with 28P01, and audits the attempt', async () => {
    const wrong = new pg.Client({ connectionString: proxy.url().replace(encodeURIComponent(proxy.token), 'not-the-token') });
    await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
    const unknown = new pg.Client({ connectionString: proxy.url().replace(proxy.agent, 'nobody_here') });
    await expect(unknown.connect()).rejects.toMatchObject({ code: '28P01' });
    await proxy.gw.audit.flush();
    const failed = await proxy.gw.store.listAudit({ type: 'auth.failed', limit: 100 });
    expect(failed.map((e) => e.agent)).toEqual(expect.arrayContaining([proxy.agent, 'nobody_here']));
    // the token never reaches the audit trail
    expect(JSON.stringify(failed)).not.toContain(proxy.token);
  });

  it('refuses replication startups and protected settings in the startup packet', async () => {
    for (const extra of [
      { replication: 'database' },
      { options: '-c default_transaction_read_only=off' },
      { default_transaction_read_only: 'off' },
    ] as Record<string, string>[]) {
      const c = await RawClient.connect(proxy.server.port);
      c.send(startupMessage({ user: proxy.agent, database: proxy.database, ...extra }));
      const e = await c.next('E');
      expect(fields(e).C).toBe('42501');
      expect(await c.waitClosed()).toBe(true);
    }
    await proxy.gw.audit.flush();
    const refused = (await proxy.gw.store.listAudit({ type: 'auth.failed', limit: 100 })).filter((e) =>
      /replication|can not be set/.test(String(e.data.reason)),
    );
    expect(refused.length).toBe(3);
  });

  it('closes a client that never finishes its startup, without hurting others', async () => {
    const slowProxy = await startProxy({ config: { startupTimeoutMs: 300 } });
    try {
      const slow = await RawClient.connect(slowProxy.server.port);
      slow.send(Buffer.from([0, 0, 0, 40, 0, 3]));
      const ok = await RawClient.login(slowProxy.server.port, slowProxy.agent, slowProxy.token, slowProxy.database);
      expect(await slow.waitClosed(3000)).toBe(true);
      ok.send(serialize.query('SELECT 1'));
      expect((await ok.untilReady()).map((f) => f.type).join('')).toBe('TDCZ');
      ok.close();
    } finally {
      await slowProxy.close();
    }
  });
});

describe('messages', () => {
  it('runs auto sessions read-only upstream (the backstop)', async () => {
    const c = new pg.Client(proxy.url());
    await c.connect();
    expect((await c.query('SHOW default_transaction_read_only')).rows[0].default_transaction_read_only).toBe('on');
    await c.end();
  });

  it('audits every execution of a prepared statement, not only its Parse', async () => {
    const sql = `SELECT $1::int AS n -- prepared ${Date.now()}`;
    const c = new pg.Client(proxy.url());
    await c.connect();
    for (let i = 0; i < 3; i++) expect((await c.query({ name: 'p1', text: sql, values: [i] })).rows[0].n).toBe(i);
    await c.query({ text: sql, values: [9] }); // unnamed: Parse and Bind again, one more event
    await c.end();
    await proxy.gw.audit.flush();
    const events = (await proxy.gw.store.listAudit({ type: 'decision', limit: 1000 })).filter((e) => e.data.sql === sql);
    expect(events.map((e) => e.decision)).toEqual(['auto', 'auto', 'auto', 'auto']);
  });

  it('refuses fastpath FunctionCall with 42501 and keeps the session', async () => {
    const c = await login();
    const body = Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    c.send(Buffer.concat([Buffer.from('F'), Buffer.from([0, 0, 0, 4 + body.length]), body]));
    const e = await c.next('E');
    expect(fields(e).C).toBe('42501');
    await c.next('Z');
    c.send(serialize.query('SELECT 1'));
    expect((await c.untilReady()).map((f) => f.type).join('')).toBe('TDCZ');
    c.close();
  });

  it('closes on an unknown message type with 08P01, and on an oversized message with 54000', async () => {
    const a = await login();
    a.send(Buffer.from([0x7a, 0, 0, 0, 4]));
    expect(fields(await a.next('E')).C).toBe('08P01');
    expect(await a.waitClosed()).toBe(true);
    const b = await login();
    b.send(Buffer.from([0x51, 0x40, 0, 0, 0]));
    expect(fields(await b.next('E')).C).toBe('54000');
    expect(await b.waitClosed()).toBe(true);
  });

  it('pipelined extended protocol: a blocked Parse errors in order, the rest is skipped to Sync', async () => {
    const c = await login();
    c.send(
      Buffer.concat([
        serialize.parse({ text: 'SELECT 1' }),
        serialize.bind({}),
        serialize.execute({}),
        serialize.parse({ text: 'DROP TABLE pg_temp.nothing' }),
        serialize.bind({}),
        serialize.execute({}),
        serialize.sync(),
        serialize.query('SELECT 2'),
      ]),
    );
    const first = await c.untilReady();
    expect(first.map((f) => f.type).join('')).toBe('12DCEZ');
    expect(fields(first[4]).C).toBe('42501');
    const second = await c.untilReady();
    expect(second.map((f) => f.type).join('')).toBe('TDCZ');
    c.close();
  });

  it('a held statement between auto ones keeps responses in order', async () => {
    const c = await login();
    const next = proxy.gw.nextApproval();
    c.send(
      Buffer.concat([
        serialize.parse({ text: 'SELECT 1' }),
        serialize.bind({}),
        serialize.execute({}),
        serialize.parse({ name: 'w', text: 'CREATE TABLE pg_temp.t_held (id int)' }),
        serialize.bind({ statement: 'w' }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      ]),
    );
    const approval = await next;
    await proxy.gw.denyAs(approval.id, 'no tables today');
    const frames = await c.untilReady();
    // 1 2 D C (auto), 1 2 (held parse/bind), N (notice), E (denied), Z
    expect(frames.map((f) => f.type).join('')).toBe('12DC12NEZ');
    expect(fields(frames[7]).M).toMatch(/no tables today/);
    c.close();
  });

  it('transaction pooling: 40 clients share a pool of 3 upstream connections', async () => {
    const small = await startProxy({ config: { poolSize: 3 } });
    const clients = Array.from({ length: 40 }, () => new pg.Client(small.url()));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const results = await Promise.all(
        clients.map(async (c, i) => {
          await c.query('BEGIN');
          const r = await c.query('SELECT $1::int AS i, pg_backend_pid() AS pid', [i]);
          await c.query('COMMIT');
          return r.rows[0];
        }),
      );
      expect(results.map((r) => r.i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(new Set(results.map((r) => r.pid)).size).toBeLessThanOrEqual(3);
      expect(small.server.stats().pool[0].total).toBeLessThanOrEqual(3);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
      await small.close();
    }
  });

  it('CancelRequest reaches the upstream backend running the query', async () => {
    const { code, ms, after } = await cancelThroughProxy(proxy, 'SELECT pg_sleep(0.9)', 150);
    expect(code).toBe('57014');
    expect(ms).toBeLessThan(800);
    expect(after).toBe(1);
  });

  it('an unreachable upstream gives the client 08006, not a crash', async () => {
    const down = await startProxy();
    const upstream = down.gw.upstream.bind(down.gw);
    down.gw.upstream = (db) => ({ ...upstream(db), port: 1 });
    try {
      const c = new pg.Client(down.url());
      await expect(c.connect()).rejects.toMatchObject({ code: '08006' });
    } finally {
      await down.close();
    }
  });
});
