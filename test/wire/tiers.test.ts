// Ask and block tiers on the wire: notice with the approval id, wait, then the real result (approved),
// 42501 with the reviewer's reason (denied), 57014 naming the approval (timeout) and a one-time
// retry grant; block → 42501 with rule and reason, session continues. Simple and extended protocol.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { NoticeMessage } from 'pg-protocol/dist/messages.js';
import { createDatabase, dropDatabase, psqlDirect, startProxy, type Proxy, sendCancel } from './helpers/proxy.js';

let proxy: Proxy;
let db: string;

beforeAll(async () => {
  db = await createDatabase('wire_tiers');
  psqlDirect(db, ['-c', 'CREATE TABLE notes (id serial PRIMARY KEY, body text)']);
  proxy = await startProxy({ database: db, config: { approvalWaitSeconds: 2 } });
});

afterAll(async () => {
  await proxy?.close();
  if (db) await dropDatabase(db);
});

async function client(): Promise<{ c: pg.Client; notices: NoticeMessage[] }> {
  const c = new pg.Client(proxy.url());
  const notices: NoticeMessage[] = [];
  c.on('notice', (n) => notices.push(n));
  await c.connect();
  return { c, notices };
}

const count = () => Number(psqlDirect(db, ['-At', '-c', 'SELECT count(*) FROM notes']).trim());

describe('ask tier', () => {
  it('simple protocol: notice, approval, then the real result', async () => {
    const { c, notices } = await client();
    try {
      const next = proxy.gw.nextApproval();
      const q = c.query("INSERT INTO notes (body) VALUES ('approved-simple') RETURNING body");
      const approval = await next;
      await new Promise((r) => setTimeout(r, 50));
      expect(notices[0]?.message).toContain(approval.id);
      expect(notices[0]?.hint).toMatch(/Review at http/);
      await proxy.gw.approveAndRun(approval.id);
      const r = await q;
      expect(r.rows).toEqual([{ body: 'approved-simple' }]);
      expect(r.rowCount).toBe(1);
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('extended protocol with parameters: approval runs the bound statement once', async () => {
    const { c } = await client();
    try {
      const next = proxy.gw.nextApproval();
      const q = c.query('INSERT INTO notes (body) VALUES ($1) RETURNING id, body', ['approved-extended']);
      const approval = await next;
      expect(approval.params).toEqual(['approved-extended']);
      await proxy.gw.approveAndRun(approval.id);
      const r = await q;
      expect(r.rows[0].body).toBe('approved-extended');
      expect(r.command).toBe('INSERT');
    } finally {
      await c.end();
    }
  });

  it('denied: 42501 with the reviewer reason, nothing written', async () => {
    const { c } = await client();
    const before = count();
    try {
      const next = proxy.gw.nextApproval();
      const q = c.query("UPDATE notes SET body = 'x'");
      await proxy.gw.denyAs((await next).id, 'not today');
      await expect(q).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('not today') });
      expect((await c.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await c.end();
    }
    expect(count()).toBe(before);
  });

  it('timeout names the approval; a retry after approval runs it exactly once', async () => {
    const { c } = await client();
    const before = count();
    try {
      const next = proxy.gw.nextApproval();
      const sql = "INSERT INTO notes (body) VALUES ('retry-me')";
      const err = await c.query(sql).catch((e) => e);
      const approval = await next;
      expect(err.code).toBe('57014');
      expect(err.message).toContain(approval.id);
      await proxy.gw.approveAndRun(approval.id);
      expect(count()).toBe(before + 1);
      const r = await c.query(sql);
      expect(r.rowCount).toBe(1);
      expect(count()).toBe(before + 1);
    } finally {
      await c.end();
    }
  });

  it('cancel request stops the wait', async () => {
    const { c } = await client();
    try {
      const q = c.query("INSERT INTO notes (body) VALUES ('cancelled')").catch((e) => e);
      await proxy.gw.nextApproval();
      const killer = new pg.Client(proxy.url());
      await killer.connect();
      await killer.query('SELECT 1');
      await killer.end();
      sendCancel(c, proxy.server.port);
      const err = await q;
      expect(err.code).toBe('57014');
      expect((await c.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    } finally {
      await c.end();
    }
  });
});

describe('block tier', () => {
  it('simple and extended: 42501 with rule and reason, then the session continues', async () => {
    const { c } = await client();
    try {
      const e1 = await c.query('DROP TABLE notes').catch((e) => e);
      expect(e1.code).toBe('42501');
      expect(e1.detail).toMatch(/rule: /);
      const e2 = await c.query('DELETE FROM notes WHERE id = $1', [1]).catch((e) => e);
      expect(e2.code).toBe('42501');
      expect((await c.query('SELECT $1::text AS ok', ['yes'])).rows).toEqual([{ ok: 'yes' }]);
    } finally {
      await c.end();
    }
  });
});
