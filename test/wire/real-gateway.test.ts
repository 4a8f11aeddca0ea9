// The ask/block flow on the wire against the real Gateway (policy, SQLite store, audit, preview,
// in-process approval queue and execution): approve → real result; deny → 42501; block → 42501.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startWireServer, type WireServer } from '../../src/wire/server.js';
import { createRealGateway, type WireTestGateway } from './helpers/real-gateway.js';
import { createDatabase, dropDatabase, psqlDirect } from './helpers/proxy.js';

let gw: WireTestGateway;
let server: WireServer;
let db: string;
let url: string;

beforeAll(async () => {
  db = await createDatabase('wire_real');
  psqlDirect(db, ['-c', 'CREATE TABLE notes (id serial PRIMARY KEY, body text)']);
  gw = await createRealGateway({ database: db });
  const { token } = await gw.store.createAgent('wire_real_agent');
  server = await startWireServer({ gateway: gw, config: { host: '127.0.0.1', port: 0, approvalWaitSeconds: 10, maxMessageBytes: 1 << 20 } });
  url = `postgresql://wire_real_agent:${encodeURIComponent(token)}@127.0.0.1:${server.port}/${db}`;
});

afterAll(async () => {
  await server?.close();
  await gw?.close();
  if (db) await dropDatabase(db);
});

describe('wire proxy with the real gateway', () => {
  it('auto reads, held write approved with the real result, denied write, blocked statement', async () => {
    const c = new pg.Client(url);
    const notices: pg.NoticeMessage[] = [];
    c.on('notice', (n) => notices.push(n));
    await c.connect();
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
      const next = gw.nextApproval();
      const q = c.query('INSERT INTO notes (body) VALUES ($1) RETURNING body', ['via-real-gateway']);
      const approval = await next;
      await gw.approve(approval.id);
      const r = await q;
      expect(r.rows).toEqual([{ body: 'via-real-gateway' }]);
      expect(notices.some((n) => n.message.includes(approval.id))).toBe(true);

      const next2 = gw.nextApproval();
      const q2 = c.query("UPDATE notes SET body = 'nope'").catch((e) => e);
      await gw.deny((await next2).id, 'not now');
      const e2 = await q2;
      expect(e2.code).toBe('42501');
      expect(e2.message).toMatch(/not now/);

      const e3 = await c.query('DROP TABLE notes').catch((e) => e);
      expect(e3.code).toBe('42501');
      expect((await c.query('SELECT body FROM notes')).rows).toEqual([{ body: 'via-real-gateway' }]);
    } finally {
      await c.end();
    }
    expect(psqlDirect(db, ['-At', '-c', 'SELECT body FROM notes']).trim()).toBe('via-real-gateway');
  }, 60_000);
});
