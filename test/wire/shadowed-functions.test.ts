// Issue 11, item 5: functions and operators are judged by name, so a database that overloads or
// shadows a pg_catalog name (public.upper(integer), a SECURITY DEFINER function that writes) must
// make calls of that name untrusted there — through every door, and also for objects created
// after the gateway started.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { createDatabase, dropDatabase, psqlDirect, startProxy, type Proxy } from './helpers/proxy.js';

const EVIL = `
CREATE TABLE pwned (at timestamptz DEFAULT now(), what text);
CREATE FUNCTION public.evil(w text) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ INSERT INTO pwned (what) VALUES (w) RETURNING w $$;
`;
const OVERLOADS = `
CREATE FUNCTION public.upper(integer) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT public.evil('upper') $$;
CREATE FUNCTION public.evil_plus(text, integer) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT public.evil('plus') $$;
CREATE OPERATOR public.+ (LEFTARG = text, RIGHTARG = integer, FUNCTION = public.evil_plus);
`;

let proxy: Proxy;
let shadowed: string;
let plain: string;

const pwned = (db: string) => Number(psqlDirect(db, ['-At', '-c', 'SELECT count(*) FROM pwned']).trim());

/** The statement's fate through the wire: 'held' (57014 after the approval wait), the rows, or the error code. */
async function through(db: string, sql: string): Promise<string> {
  const c = new pg.Client(proxy.url().replace(/\/[^/]+$/, `/${db}`));
  c.on('error', () => undefined);
  await c.connect();
  try {
    const r = await c.query(sql);
    return JSON.stringify(r.rows);
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === '57014' ? 'held' : `error ${code}`;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  shadowed = await createDatabase('shadow');
  plain = await createDatabase('plain');
  psqlDirect(shadowed, ['-c', EVIL + OVERLOADS]);
  psqlDirect(plain, ['-c', EVIL]);
  proxy = await startProxy({ database: shadowed, catalogRefreshSeconds: 1, config: { approvalWaitSeconds: 0 } });
});

afterAll(async () => {
  await proxy?.close();
  for (const db of [shadowed, plain]) if (db) await dropDatabase(db);
});

describe('functions and operators that shadow pg_catalog', () => {
  it('holds calls of an overloaded catalog name in that database, over the wire; nothing is written', async () => {
    expect(await through(shadowed, 'SELECT upper(1)')).toBe('held');
    expect(await through(shadowed, "SELECT upper('a')")).toBe('held'); // judged by name: fail closed
    expect(await through(shadowed, "SELECT 'a' + 1")).toBe('held');
    expect(await through(shadowed, 'SELECT x FROM generate_series(1, 3) x WHERE x = 2')).toBe('[{"x":2}]');
    expect(await through(shadowed, "SELECT pg_catalog.upper('a') AS u")).toBe('[{"u":"A"}]');
    expect(pwned(shadowed)).toBe(0);
    // the same names are trusted where nothing shadows them
    expect(await through(plain, "SELECT upper('a') AS u")).toBe('[{"u":"A"}]');
    expect(await through(plain, "SELECT 'a' + 1")).toBe('error 22P02'); // auto there: PostgreSQL itself answers
  });

  it('holds them through MCP too', async () => {
    const [a, b] = InMemoryTransport.createLinkedPair();
    const agent = (await proxy.gw.authenticateToken(proxy.token, 'mcp'))!;
    await createMcpServer(proxy.gw, { agent }).connect(a);
    const client = new Client({ name: 'shadow', version: '1' });
    await client.connect(b);
    try {
      for (const sql of ['SELECT upper(1)', "SELECT 'a' + 1"]) {
        const r = (await client.callTool({ name: 'query', arguments: { sql, database: shadowed } })) as {
          structuredContent?: { status?: string };
        };
        expect(r.structuredContent?.status, sql).toBe('pending');
      }
    } finally {
      await client.close();
    }
    expect(pwned(shadowed)).toBe(0);
  });

  it('distrusts an overload created after start once the catalog is read again', async () => {
    expect(await through(plain, "SELECT lower('A') AS l")).toBe('[{"l":"a"}]');
    psqlDirect(plain, [
      '-c',
      "CREATE FUNCTION public.lower(integer) RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT public.evil('lower') $$",
    ]);
    await sleep(2500); // refresh interval 1 s
    expect(await through(plain, 'SELECT lower(1)')).toBe('held');
    expect(pwned(plain)).toBe(0);
  });
});
