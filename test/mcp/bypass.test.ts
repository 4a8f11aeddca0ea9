// Every case of the public bypass corpus through the MCP `query` tool on a fresh fixture database:
// nothing that is not `auto` executes, the auto cases do run, and the database is unchanged
// afterwards (every user table and sequence, plus a catalog fingerprint). Held statements stay
// pending: this test never approves anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../src/gateway/gateway.js';
import { bypassCases, meetsExpectation } from '../helpers/corpus.js';
import { createTestEnv, dbUrl, inMemoryClient, openGateway, structured, type TestEnv } from './helpers.js';
import { RUN_MARK } from '../helpers/env.js';

let env: TestEnv;
let gw: Gateway;
let client: Client;
let closeClient: () => Promise<void>;

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

/** A digest per user table and sequence, plus the catalog objects a bypass could add or change. */
async function fingerprint(database: string): Promise<Record<string, string>> {
  const c = new pg.Client(dbUrl(database));
  await c.connect();
  try {
    const out: Record<string, string> = {};
    const rels = await c.query<{ nspname: string; relname: string; relkind: string }>(
      `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       ORDER BY 1, 2`,
    );
    for (const r of rels.rows) {
      const name = `${q(r.nspname)}.${q(r.relname)}`;
      const sql =
        r.relkind === 'S'
          ? `SELECT last_value::text || '/' || is_called::text AS v FROM ${name}`
          : `SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS v FROM ONLY ${name} t`;
      out[`${r.relkind}:${name}`] = (await c.query<{ v: string }>(sql)).rows[0].v;
    }
    const catalog: Record<string, string> = {
      relations: `SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' || c.relnatts, ',' ORDER BY 1) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`,
      functions: `SELECT string_agg(p.oid::regprocedure::text || md5(p.prosrc), ',' ORDER BY 1) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`,
      triggers: `SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY 1) FROM pg_trigger WHERE NOT tgisinternal`,
      rules: `SELECT string_agg(rulename, ',' ORDER BY 1) FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
      comments: `SELECT count(*)::text || md5(coalesce(string_agg(description, ',' ORDER BY objoid, objsubid), '')) FROM pg_description d WHERE d.objoid >= 16384`,
      largeObjects: `SELECT string_agg(oid::text, ',' ORDER BY oid) FROM pg_largeobject_metadata`,
      largeObjectData: `SELECT md5(coalesce(string_agg(data::text, ',' ORDER BY loid, pageno), '')) FROM pg_largeobject`,
      // roles are the cluster's: those other test files create meanwhile carry the run's tag
      roles: `SELECT string_agg(rolname || ':' || rolsuper::text || rolcanlogin::text || coalesce(rolpassword, ''), ',' ORDER BY 1) FROM pg_authid WHERE strpos(rolname, '${RUN_MARK}') = 0`,
      grants: `SELECT string_agg(c.relname || ':' || coalesce(c.relacl::text, ''), ',' ORDER BY 1) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
      settings: `SELECT coalesce(string_agg(setdatabase || ':' || setrole || ':' || array_to_string(setconfig, ';'), ',' ORDER BY 1), '') FROM pg_db_role_setting`,
      extensions: `SELECT string_agg(extname || ':' || extversion, ',' ORDER BY 1) FROM pg_extension`,
    };
    for (const [k, sql] of Object.entries(catalog)) {
      const row = (await c.query(sql)).rows[0] as Record<string, unknown> | undefined;
      out[`catalog:${k}`] = String(row ? Object.values(row)[0] : '');
    }
    return out;
  } finally {
    await c.end();
  }
}

let before: Record<string, string>;

beforeAll(async () => {
  env = await createTestEnv();
  gw = await openGateway(env);
  const created = await gw.store.createAgent('mcp-bypass-agent');
  ({ client, close: closeClient } = await inMemoryClient(gw, { id: created.agent.id, name: created.agent.name }, 'bypass-corpus'));
  before = await fingerprint(env.database);
}, 120_000);

afterAll(async () => {
  await closeClient?.();
  await gw?.close();
  await env?.close();
});

describe('bypass corpus through the MCP query tool', () => {
  const cases = bypassCases();

  it('has the public corpus', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });

  it('executes only auto cases, refuses or holds the rest, and leaves the database unchanged', async () => {
    const failures: string[] = [];
    const held: string[] = [];
    for (const c of cases) {
      // cases never run by the corpus authors (kill all sessions, read server files, ...) must be
      // refused by policy before we let them near the shared test server
      if ((c as { executed?: boolean }).executed === false && gw.engine.decide(c.sql).decision !== 'block') {
        failures.push(`${c.id}: harmful case not blocked by policy; not sent`);
        continue;
      }
      const r = await client.callTool({ name: 'query', arguments: { sql: c.sql, max_rows: 5 } });
      const s = structured(r);
      if (!s || typeof s.status !== 'string') {
        failures.push(`${c.id}: no structured status (${JSON.stringify(r).slice(0, 200)})`);
        continue;
      }
      if (!meetsExpectation(c.expect, s.decision ?? 'none')) failures.push(`${c.id}: expected ${c.expect}, got ${s.decision} (${s.rule})`);
      if (c.expect !== 'auto' && s.status === 'executed') failures.push(`${c.id}: not-auto case executed (${s.decision} ${s.rule})`);
      if (c.expect === 'auto' && s.status !== 'executed')
        failures.push(`${c.id}: auto case did not run: ${s.status} ${s.error?.code ?? ''} ${s.error?.message ?? ''}`);
      if (s.status === 'blocked' && r.isError !== true) failures.push(`${c.id}: blocked without isError`);
      if (s.status === 'pending') held.push(c.id);
    }
    expect(failures).toEqual([]);
    expect(held.length).toBeGreaterThan(0);
    const open = await gw.store.listApprovalsByStatus(['approved', 'executing', 'executed']);
    expect(open).toEqual([]);
    expect(await fingerprint(env.database)).toEqual(before);
  }, 180_000);

  it('the fingerprint does notice a changed row, sequence or trigger (so the check above means something)', async () => {
    let prev = await fingerprint(env.database);
    const c = new pg.Client(dbUrl(env.database));
    await c.connect();
    try {
      for (const sql of [
        "UPDATE accounts SET owner = 'mallory' WHERE id = 4",
        "SELECT nextval('order_seq')",
        'ALTER TABLE accounts DISABLE TRIGGER accounts_audit',
      ]) {
        await c.query(sql);
        const now = await fingerprint(env.database);
        expect(now, sql).not.toEqual(prev);
        prev = now;
      }
    } finally {
      await c.end();
    }
  });
});
