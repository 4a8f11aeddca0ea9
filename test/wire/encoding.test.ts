// Issue 11, item 1: client-encoding smuggling. The session's client_encoding is UTF8 from start to
// end, every attempt to change it is blocked (every form, every door), and text that is not UTF-8
// never reaches PostgreSQL, so PostgreSQL always reads exactly the statements Airlock parsed.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frame, startupMessage } from '../../protocol/index.js';
import { createDatabase, dropDatabase, psqlDirect, startProxy, type Proxy } from './helpers/proxy.js';
import { RawClient } from './helpers/raw-client.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';

/** Every way to change the encoding (or set it to what the session cannot know). */
const SWITCHES = [
  "SET client_encoding = 'SJIS'",
  "SET client_encoding TO 'BIG5'",
  "SET SESSION client_encoding = 'GBK'",
  "SET LOCAL client_encoding = 'SJIS'",
  "SET NAMES 'GBK'",
  'SET NAMES sjis',
  'SET "client_encoding" = \'SJIS\'',
  'SET client_encoding TO DEFAULT',
  'RESET client_encoding',
  "SELECT set_config('client_encoding', 'SJIS', false)",
  "SELECT pg_catalog.set_config('CLIENT_ENCODING', 'BIG5', true)",
  "SELECT 1 WHERE set_config('client_encoding', 'GBK', false) IS NOT NULL",
  "SELECT * FROM (SELECT set_config('client_encoding', 'SJIS', false)) s",
  "WITH x AS (SELECT set_config('client_encoding', 'SJIS', false)) SELECT * FROM x",
  "SELECT set_config('client_encoding', 'SJ' || 'IS', false)",
  "SELECT 1; SET client_encoding = 'SJIS'",
  "ALTER DATABASE current SET client_encoding = 'SJIS'",
];

/** The smuggle: after SJIS, 0x95 0x5C is one character to PostgreSQL but "\" to a UTF-8 reader. */
const SMUGGLE = Buffer.concat([
  Buffer.from("SET application_name = E'x"),
  Buffer.from([0x95, 0x5c]),
  Buffer.from("'; SET transaction_read_only = off; UPDATE accounts SET balance = 0; CREATE SCHEMA smuggled; --'"),
]);

let proxy: Proxy;
let database: string;

const state = () =>
  psqlDirect(database, [
    '-At',
    '-c',
    "SELECT string_agg(balance::text, ',' ORDER BY id) || '|' || (SELECT count(*) FROM pg_namespace WHERE nspname = 'smuggled') FROM accounts",
  ]).trim();

beforeAll(async () => {
  database = await createDatabase('enc');
  psqlDirect(database, ['-c', 'CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 901), (2, 1000)']);
  proxy = await startProxy({ database });
});

afterAll(async () => {
  await proxy?.close();
  if (database) await dropDatabase(database);
});

describe('client encoding', () => {
  it('refuses every way to change it, simple and extended protocol, and the database is unchanged', async () => {
    const before = state();
    expect(before).toBe('901,1000|0');
    const c = new pg.Client(proxy.url());
    await c.connect();
    try {
      for (const [i, sql] of SWITCHES.entries()) {
        await expect(c.query(sql), `simple: ${sql}`).rejects.toMatchObject({ code: '42501' });
        if (!sql.includes(';'))
          await expect(c.query({ name: `p${i}`, text: sql }), `extended: ${sql}`).rejects.toMatchObject({ code: '42501' });
      }
      // setting it to UTF8 again changes nothing and stays allowed (libpq's PQsetClientEncoding sends it)
      await c.query("SET client_encoding = 'UTF8'");
      await c.query("SET NAMES 'utf-8'");
      expect((await c.query('SHOW client_encoding')).rows[0].client_encoding).toBe('UTF8');
    } finally {
      await c.end();
    }
    expect(state()).toBe(before);
  });

  it('never lets text that is not UTF-8 reach PostgreSQL (the smuggle payload), simple and extended', async () => {
    const raw = await RawClient.login(proxy.server.port, proxy.agent, proxy.token, database);
    try {
      raw.send(frame(0x51, Buffer.concat([SMUGGLE, Buffer.from([0])])));
      const simple = await raw.untilReady();
      expect(simple.find((f) => f.type === 'E')?.body.toString()).toContain('22021');
      const parse = Buffer.concat([Buffer.from([0]), SMUGGLE, Buffer.from([0, 0, 0])]);
      raw.send(Buffer.concat([frame(0x50, parse), frame(0x53, Buffer.alloc(0))]));
      const extended = await raw.untilReady();
      expect(extended.find((f) => f.type === 'E')?.body.toString()).toContain('22021');
      // the session goes on
      raw.send(frame(0x51, Buffer.from('SELECT 1\0')));
      expect((await raw.untilReady()).map((f) => f.type)).toContain('D');
    } finally {
      raw.socket.destroy();
    }
    expect(state()).toBe('901,1000|0');
  });

  it('refuses a non-UTF8 encoding in the startup packet and its options', async () => {
    const attempts: Record<string, string>[] = [
      { client_encoding: 'SJIS' },
      { Client_Encoding: 'BIG5' },
      { options: '-c client_encoding=BIG5' },
      { options: '--client-encoding=GBK' },
    ];
    for (const extra of attempts) {
      const c = await RawClient.connect(proxy.server.port);
      c.send(startupMessage({ user: proxy.agent, database, ...extra }));
      const e = await c.next('E');
      expect(e.body.toString(), JSON.stringify(extra)).toContain('0A000');
      expect(await c.waitClosed()).toBe(true);
    }
    const ok = await RawClient.login(proxy.server.port, proxy.agent, proxy.token, database, { client_encoding: 'utf-8' });
    ok.send(frame(0x51, Buffer.from('SHOW client_encoding\0')));
    expect((await ok.untilReady()).find((f) => f.type === 'D')?.body.toString()).toContain('UTF8');
    ok.socket.destroy();
  });

  it('refuses every form through MCP too (several statements in one query call)', async () => {
    const [a, b] = InMemoryTransport.createLinkedPair();
    const server = createMcpServer(proxy.gw, { agent: (await proxy.gw.authenticateToken(proxy.token, 'mcp'))! });
    await server.connect(a);
    const client = new Client({ name: 'enc', version: '1' });
    await client.connect(b);
    try {
      for (const sql of [...SWITCHES, "SET client_encoding = 'SJIS'; UPDATE accounts SET balance = 0"]) {
        const r = (await client.callTool({ name: 'query', arguments: { sql, database } })) as {
          isError?: boolean;
          content: { text: string }[];
        };
        expect(r.isError, sql).toBe(true);
        expect(r.content[0].text, sql).toMatch(/42501|client_encoding/);
      }
    } finally {
      await client.close();
    }
    expect(state()).toBe('901,1000|0');
  });
});
