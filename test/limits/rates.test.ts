// Issue 16, item 4: rates per agent, as a user runs them. One `airlock serve` with a requests limit
// of 3 per 2 s: the 4th wire statement gets 53400, the 4th API call HTTP 429 with Retry-After, the
// 4th MCP call an isError result — each door counted on its own, each saying when to retry, each
// refusal audited — and all recover after the window. Then two gateways on one Redis count one
// agent together, and the ask and rows budgets refuse the N+1th held request and the read past the
// budget.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { DATABASE_URL, REDIS_URL, uniqueName } from '../helpers/env.js';
import { dbUrl, testConfig } from '../helpers/gateway.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { fakepayYaml, startFakeUpstream, type FakeUpstream } from '../api/fake-upstream.js';
import { auditEvents, createAgent, mcpClient, mcpQuery, wireClient, type Agent } from '../faults/fault-env.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { openStore } from '../../src/store/open.js';
import { auditOf, codeOf, dropDatabase, itemsDatabase, sleep, wireFor, type TestAgent } from './helpers.js';

let dir: string;
let storeUrl: string;
let database: string;
let upstream: FakeUpstream;
let serve: ServeProcess;
let agent: Agent;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-rates-'));
  storeUrl = `sqlite:${join(dir, 'store.sqlite')}`;
  database = await itemsDatabase(50);
  upstream = await startFakeUpstream();
  mkdirSync(join(dir, 'integrations'));
  writeFileSync(join(dir, 'integrations', 'fakepay.yaml'), fakepayYaml(upstream.url));
  expect((await runCli(['migrate', '--store', storeUrl])).code).toBe(0);
  expect((await runCli(['vault', 'set', 'fakepay_key', '--store', storeUrl], { input: 'sk_test_rates\n' })).code).toBe(0);
  agent = await createAgent(storeUrl, 'rated');
  serve = await startServe({
    upstream: { url: dbUrl(database) },
    store: { url: storeUrl },
    integrations: { dirs: [join(dir, 'integrations')] },
    limits: { agents: { [agent.name]: { requests: { limit: 3, windowSeconds: 2 } } } },
  });
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await upstream?.close();
  if (database) await dropDatabase(database);
  rmSync(dir, { recursive: true, force: true });
});

const call = (auth: string) =>
  fetch(`http://127.0.0.1:${serve.httpPort}/v1/call/fakepay/list_customers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify({ args: {} }),
  });

describe('requests per window, each door on its own', () => {
  it('refuses the 4th request on every door with when to retry, audits it, and recovers after the window', async () => {
    const c = await wireClient(serve.wirePort, agent, database);
    const mcp = await mcpClient(serve.httpPort, agent.token);
    try {
      for (let i = 0; i < 3; i++) expect((await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n).toBe(50);
      const refused = await c.query('SELECT 1').then(
        () => null,
        (e: { code?: string; message: string }) => e,
      );
      expect(refused?.code).toBe('53400');
      expect(refused?.message).toMatch(/more than 3 requests in 2 s through the wire door .*retry in [12] s/);
      // the session survives a refusal
      for (let i = 0; i < 3; i++) expect((await call(agent.token)).status).toBe(200);
      const r = await call(agent.token);
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('53400');

      for (let i = 0; i < 3; i++) expect((await mcpQuery(mcp, 'SELECT 1 AS one')).isError).toBeFalsy();
      const m = await mcpQuery(mcp, 'SELECT 1 AS one');
      expect(m.isError).toBe(true);
      expect(m.text).toMatch(/Airlock limit reached.*retry in/);

      await sleep(2100);
      expect((await c.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
      expect((await call(agent.token)).status).toBe(200);
      expect((await mcpQuery(mcp, 'SELECT 3 AS three')).isError).toBeFalsy();
    } finally {
      await c.end();
      await mcp.close();
    }
    const events = await auditEvents(storeUrl, ['--type', 'limit.refused']);
    const refusals = events as unknown as { door: string; agent_name?: string; agent?: string; data: { limit: string } }[];
    expect(refusals.map((e) => e.door).sort()).toEqual(['api', 'mcp', 'wire']);
    expect(refusals.every((e) => e.data.limit === 'requests')).toBe(true);
  });
});

describe('two gateways on one Redis, and the ask and rows budgets', () => {
  const keyPrefix = uniqueName('limits');
  let gws: Gateway[] = [];
  let wires: Awaited<ReturnType<typeof wireFor>>[] = [];
  const agents: Record<string, TestAgent> = {};

  beforeAll(async () => {
    const names = { shared: uniqueName('shared'), asker: uniqueName('asker'), reader: uniqueName('reader') };
    const { config, opts } = testConfig({
      database,
      store: 'postgres',
      redis: REDIS_URL,
      extra: {
        limits: {
          keyPrefix,
          agents: {
            [names.shared]: { requestsPerMinute: 4 },
            [names.asker]: { askPerHour: 2 },
            [names.reader]: { rowsPerHour: 60 },
          },
        },
      },
    });
    const store = await openStore(DATABASE_URL, { schema: opts.storeSchema });
    for (const [key, name] of Object.entries(names)) {
      const { agent: a, token } = await store.createAgent(name);
      agents[key] = { id: a.id, name: a.name, token };
    }
    await store.close();
    gws = [await Gateway.open(config, opts), await Gateway.open(config, { ...opts, queueName: uniqueName('q') })];
    wires = await Promise.all(gws.map((g) => wireFor(g)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(wires.map((w) => w.close()));
    await Promise.all(gws.map((g) => g.close()));
  });

  it('counts one agent across both gateways: the 5th statement in the minute is refused on either', async () => {
    const [a, b] = [await wires[0].connect(agents.shared, database), await wires[1].connect(agents.shared, database)];
    expect(await codeOf(a.query('SELECT 1'))).toBe('ok');
    expect(await codeOf(b.query('SELECT 1'))).toBe('ok');
    expect(await codeOf(a.query('SELECT 1'))).toBe('ok');
    expect(await codeOf(b.query('SELECT 1'))).toBe('ok');
    expect(await codeOf(a.query('SELECT 1'))).toBe('53400');
    expect(await codeOf(b.query('SELECT 1'))).toBe('53400');
    expect((await auditOf(gws[1], 'limit.refused', agents.shared.name)).length).toBeGreaterThanOrEqual(1);
  });

  it('refuses the 3rd held request in the hour (askPerHour 2); reads still run', async () => {
    const c = await wires[0].connect(agents.asker, database);
    const held = (sql: string) => codeOf(c.query(sql));
    // held requests time out at the wire's approval wait: the count is what matters
    expect(await held("UPDATE items SET pad = 'a' WHERE id = 1")).not.toBe('53400');
    expect(await held("UPDATE items SET pad = 'b' WHERE id = 2")).not.toBe('53400');
    expect(await held("UPDATE items SET pad = 'c' WHERE id = 3")).toBe('53400');
    expect((await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n).toBe(50);
    const pending = (await gws[0].listApprovals({ status: 'pending' })).filter((p) => p.agentName === agents.asker.name);
    expect(pending).toHaveLength(2);
  });

  it('refuses reads once the rows budget is spent (rowsPerHour 60)', async () => {
    const c = await wires[1].connect(agents.reader, database);
    expect((await c.query('SELECT id FROM items')).rows).toHaveLength(50);
    expect((await c.query('SELECT id FROM items WHERE id <= 20')).rows).toHaveLength(20);
    await sleep(200); // the rows are charged after the result
    expect(await codeOf(c.query('SELECT id FROM items WHERE id = 1'))).toBe('53400');
    const ev = await auditOf(gws[1], 'limit.refused', agents.reader.name);
    expect(ev.some((e) => e.data.limit === 'rowsPerHour')).toBe(true);
  });
});
