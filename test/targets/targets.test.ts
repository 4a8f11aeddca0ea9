// Issue 16, item 1: several upstreams in one gateway. Two targets, `prod` (label prod) and `dev`
// (label dev), each serving its own database; a rule holds reads on label prod for one agent and not
// for another. Through node-pg, psql and MCP: each database reaches its own target (the prod
// target's URL carries its own application_name), the rule applies by label and agent,
// list_databases shows targets with labels, and a target argument picks the database. Bad config
// (unknown target or label in a rule, one database in two targets) stops the start naming the key.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { dbUrl } from '../helpers/gateway.js';
import { uniqueName } from '../helpers/env.js';
import { createDatabase, psqlDirect } from '../wire/helpers/proxy.js';
import { dropDatabase, limitedGateway, mcpFor, structured, textOf, wireFor, type LimitedGateway } from '../limits/helpers.js';

const held = uniqueName('held');
const free = uniqueName('free');
let prod: string;
let dev: string;
let lg: LimitedGateway;
let wire: Awaited<ReturnType<typeof wireFor>>;

async function databaseWith(value: string): Promise<string> {
  const db = await createDatabase('target');
  psqlDirect(db, ['-c', `CREATE TABLE t (v text); INSERT INTO t VALUES ('${value}');`]);
  return db;
}

const devUrl = () => {
  const u = new URL(dbUrl(dev));
  u.username = 'postgres';
  return u.toString();
};

beforeAll(async () => {
  prod = await databaseWith('prod-row');
  dev = await databaseWith('dev-row');
  lg = await limitedGateway({
    database: 'test',
    agents: [held, free],
    limits: {},
    extra: {
      targets: [
        { name: 'prod', label: 'prod', url: `${dbUrl(prod)}?application_name=airlock_prod`, databases: [prod] },
        // its own upstream role: the wire's servers for this database are opened with the target's URL
        { name: 'dev', label: 'dev', url: devUrl(), databases: [dev] },
      ],
    },
    policy: { rules: [{ name: 'prod-reads-held', agents: [held], labels: ['prod'], kinds: ['read'], tier: 'ask' }] },
  });
  wire = await wireFor(lg.gw);
}, 60_000);

afterAll(async () => {
  await wire?.close();
  await lg?.close();
  for (const db of [prod, dev]) if (db) await dropDatabase(db);
});

describe('targets on the wire', () => {
  it('routes each database to its target; the rule holds prod reads for one agent only', async () => {
    const h = await wire.connect(lg.agents[held], prod);
    const message = await h.query('SELECT v FROM t').then(
      () => 'ran',
      (e: Error) => e.message,
    );
    expect(message).toMatch(/approval [0-9a-f-]{36}/);
    const hd = await wire.connect(lg.agents[held], dev);
    expect((await hd.query('SELECT v, current_user AS u FROM t')).rows).toEqual([{ v: 'dev-row', u: 'postgres' }]);
    const f = await wire.connect(lg.agents[free], prod);
    expect((await f.query('SELECT v FROM t')).rows).toEqual([{ v: 'prod-row' }]);
    const pending = (await lg.gw.listApprovals({ status: 'pending' })).filter((a) => a.agentName === held);
    expect(pending.map((a) => a.database)).toEqual([prod]);
  });

  it('psql reaches the dev target', async () => {
    const { stdout } = await promisify(execFile)(
      'psql',
      ['-X', '-At', '-h', '127.0.0.1', '-p', String(wire.server.port), '-U', free, '-d', dev, '-c', 'SELECT v FROM t'],
      { env: { ...process.env, PGPASSWORD: lg.agents[free].token }, timeout: 20_000 },
    );
    expect(stdout.trim()).toBe('dev-row');
  });
});

describe('targets through MCP', () => {
  it('list_databases shows targets with labels; target picks the database; a mismatch is an error', async () => {
    const mcp = await mcpFor(lg.gw, lg.agents[free]);
    try {
      const list = structured(await mcp.call('list_databases', {})).databases as { name: string; target: string; label: string }[];
      expect(list.find((d) => d.name === prod)).toMatchObject({ target: 'prod', label: 'prod' });
      expect(list.find((d) => d.name === dev)).toMatchObject({ target: 'dev', label: 'dev' });
      expect(list.find((d) => d.name === 'test')).toMatchObject({ target: 'default', label: 'default' });
      const r = structured(await mcp.call('query', { sql: 'SELECT v FROM t', target: 'dev' }));
      expect(r.rows).toEqual([{ v: 'dev-row' }]);
      const app = structured(await mcp.call('query', { sql: "SELECT current_setting('application_name') AS a", target: 'prod' }));
      expect(app.rows).toEqual([{ a: 'airlock_prod' }]);
      const wrong = await mcp.call('query', { sql: 'SELECT 1', target: 'prod', database: dev });
      expect(wrong.isError).toBe(true);
      expect(textOf(wrong)).toMatch(/served by target "dev", not "prod"/);
      const unknown = await mcp.call('query', { sql: 'SELECT 1', target: 'nope' });
      expect(unknown.isError).toBe(true);
      expect(textOf(unknown)).toMatch(/no target named "nope"/);
    } finally {
      await mcp.close();
    }
  });

  it('holds prod reads for the held agent through MCP too', async () => {
    const mcp = await mcpFor(lg.gw, lg.agents[held]);
    try {
      expect(structured(await mcp.call('query', { sql: 'SELECT v FROM t', database: prod })).status).toBe('pending');
      expect(structured(await mcp.call('query', { sql: 'SELECT v FROM t', database: dev })).rows).toEqual([{ v: 'dev-row' }]);
    } finally {
      await mcp.close();
    }
  });
});

describe('bad target config', () => {
  it('names the key of an unknown target or label in a rule and of a database listed twice', () => {
    const bad = () =>
      parseConfig({
        targets: [
          { name: 'a', label: 'prod', url: 'postgresql://127.0.0.1/x', databases: ['d1'] },
          { name: 'b', label: 'dev', url: 'postgresql://127.0.0.1/y', databases: ['d2', 'd1'] },
        ],
        policy: { rules: [{ name: 'r', targets: ['nope'], labels: ['staging'], tier: 'ask' }] },
      });
    expect(bad).toThrow(/targets\.1\.databases\.1: database "d1" is also listed at targets\[0\]\.databases\[0\]/);
    expect(bad).toThrow(/policy\.rules\.0\.targets\.0: no target named "nope"/);
    expect(bad).toThrow(/policy\.rules\.0\.labels\.0: no target has the label "staging"/);
  });
});
