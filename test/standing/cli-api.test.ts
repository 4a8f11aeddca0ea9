// Standing approvals and reverts through the reviewer's doors: the built CLI (`airlock approvals
// always|revert`, `airlock standing list|revoke`) against the store a running gateway uses, and the
// reviewer HTTP API (POST /api/approvals/:id/always|revert, GET /api/standing, DELETE /api/standing/:id).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createFixtureDb, type FixtureDb } from '../approvals/preview-db.js';
import { testConfig } from '../helpers/gateway.js';
import { runCli } from '../helpers/cli.js';
import { jsonBody } from '../helpers/env.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { startHttpServer, type HttpServer } from '../../src/rest/http-server.js';

const TOKEN = 'reviewer-token-standing-0123456789';
let db: FixtureDb;
let gw: Gateway;
let http: HttpServer;
let env: NodeJS.ProcessEnv;
let agent: { id: string; name: string };

beforeAll(async () => {
  db = await createFixtureDb(
    'stcli',
    "CREATE TABLE items (id int PRIMARY KEY, status text); INSERT INTO items SELECT g, 'new' FROM generate_series(1, 50) g;",
  );
  const { config, opts } = testConfig({ database: db.name, reviewers: [{ name: 'rita', token: TOKEN }] });
  gw = await Gateway.open(config, opts);
  http = await startHttpServer(gw, { host: '127.0.0.1', port: 0 });
  env = { AIRLOCK_STORE_URL: config.store.url, AIRLOCK_UPSTREAM_URL: config.upstream.url, REDIS_URL: '' };
  const created = await gw.createAgent('standing-agent');
  agent = { id: created.agent.id, name: created.agent.name };
});
afterAll(async () => {
  await http?.close();
  await gw?.close();
  await db.drop();
});

const hold = async (sql: string) => {
  const out = await gw.query({ agent, door: 'api', database: db.name, sql });
  if (out.status !== 'pending') throw new Error(`expected pending, got ${out.status}`);
  return out.approvalId;
};
const statusOf = async (id: number) => (await db.admin.query('SELECT status FROM items WHERE id = $1', [id])).rows[0].status as string;
const api = (path: string, init: RequestInit & { body?: string } = {}) =>
  fetch(`http://127.0.0.1:${http.port}/api${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
  });

describe('airlock approvals always / standing', () => {
  it('makes, lists and revokes a standing approval; the running gateway applies it', async () => {
    const id = await hold("UPDATE items SET status = 'cli-1' WHERE id = 1");
    const made = await runCli(
      ['approvals', 'always', id, '--as', 'rita', '--max-uses', '5', '--expires', '1h', '--condition', 'literals[1] < 10', '--json'],
      { env },
    );
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const rule = JSON.parse(made.stdout);
    expect(rule).toMatchObject({ agentName: agent.name, createdBy: 'rita', maxUses: 5, condition: 'literals[1] < 10', uses: 0 });
    expect(rule.expiresAt).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect((await gw.awaitOutcome(id, 15_000)).status).toBe('executed'); // approved by the same command

    expect((await gw.query({ agent, door: 'api', database: db.name, sql: "UPDATE items SET status = 'cli-2' WHERE id = 2" })).status).toBe(
      'executed',
    );
    expect(await statusOf(2)).toBe('cli-2');
    // the condition: id 20 is not < 10
    expect((await gw.query({ agent, door: 'api', database: db.name, sql: "UPDATE items SET status = 'cli-3' WHERE id = 20" })).status).toBe(
      'pending',
    );

    const list = await runCli(['standing', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout.trim())).toMatchObject({ id: rule.id, uses: 1 });
    const text = await runCli(['standing', 'list'], { env });
    expect(text.stdout).toMatch(new RegExp(`${rule.id}  \\[active\\]  agent ${agent.name}`));
    expect(text.stdout).toMatch(/uses 1\/5 · expires .* · when literals\[1\] < 10/);

    const revoke = await runCli(['standing', 'revoke', rule.id, '--as', 'sam'], { env });
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toMatch(/revoked .* \(used 1 time\(s\)\)/);
    expect((await runCli(['standing', 'list', '--json'], { env })).stdout.trim()).toBe('');
    expect((await runCli(['standing', 'list', '--all'], { env })).stdout).toMatch(/\[revoked\]/);
    expect((await gw.query({ agent, door: 'api', database: db.name, sql: "UPDATE items SET status = 'cli-4' WHERE id = 3" })).status).toBe(
      'pending',
    );
  });

  it('refuses bad input with a clear message and exit 1', async () => {
    const id = await hold("UPDATE items SET status = 'bad' WHERE id = 4");
    const expires = await runCli(['approvals', 'always', id, '--as', 'rita', '--expires', '3 fortnights'], { env });
    expect(expires.code).toBe(1);
    expect(expires.stderr).toMatch(/invalid --expires/);
    const uses = await runCli(['approvals', 'always', id, '--as', 'rita', '--max-uses', '0'], { env });
    expect(uses.code).toBe(1);
    expect(uses.stderr).toMatch(/--max-uses must be a positive integer/);
    const revoke = await runCli(['standing', 'revoke', 'nope', '--as', 'rita'], { env });
    expect(revoke.code).toBe(1);
    expect(revoke.stderr).toMatch(/malformed standing approval id/);
    const revert = await runCli(['approvals', 'revert', id, '--as', 'rita'], { env });
    expect(revert.code).toBe(1);
    expect(revert.stderr).toMatch(/is pending: only an executed write can be reverted/);
  });

  it('approvals revert: the running gateway executes the revert', async () => {
    const id = await hold("UPDATE items SET status = 'to-undo' WHERE id IN (5, 6)");
    await gw.approve(id, 'rita');
    expect((await gw.awaitOutcome(id, 15_000)).status).toBe('executed');
    const r = await runCli(['approvals', 'revert', id, '--as', 'sam', '--json'], { env });
    expect(r.code).toBe(0);
    const revert = JSON.parse(r.stdout);
    expect(revert).toMatchObject({ status: 'approved', revertOf: id, door: 'cli' });
    expect((await gw.awaitOutcome(revert.id, 15_000)).status).toBe('executed');
    expect([await statusOf(5), await statusOf(6)]).toEqual(['new', 'new']);
  });
});

describe('reviewer HTTP API: standing approvals and reverts', () => {
  it('POST always, GET standing, DELETE standing, POST revert', async () => {
    const id = await hold("UPDATE items SET status = 'http-1' WHERE id = 10");
    const bad = await api(`/approvals/${id}/always`, { method: 'POST', body: JSON.stringify({ maxUses: 0 }) });
    expect(bad.status).toBe(400);
    const made = await api(`/approvals/${id}/always`, {
      method: 'POST',
      body: JSON.stringify({ maxUses: 1, expires: '2h', comment: 'fine' }),
    });
    expect(made.status).toBe(201);
    const { standing } = await jsonBody(made);
    expect(standing).toMatchObject({ createdBy: 'rita', maxUses: 1, comment: 'fine' });
    expect((await gw.awaitOutcome(id, 15_000)).status).toBe('executed');

    const listed = await jsonBody(await api(`/standing?agent=${agent.name}`));
    expect(listed.standing.map((s: { id: string }) => s.id)).toContain(standing.id);
    const gone = await api(`/standing/${standing.id}`, { method: 'DELETE' });
    expect(gone.status).toBe(200);
    expect((await jsonBody(gone)).standing).toMatchObject({ id: standing.id, revokedBy: 'rita' });
    expect((await api(`/standing/${standing.id}`, { method: 'DELETE' })).status).toBe(409);
    const all = await jsonBody(await api('/standing?all=true'));
    expect(all.standing.find((s: { id: string }) => s.id === standing.id)).toMatchObject({ revokedBy: 'rita' });

    const revert = await api(`/approvals/${id}/revert`, { method: 'POST', body: JSON.stringify({ comment: 'oops' }) });
    expect(revert.status).toBe(201);
    const { approval } = await jsonBody(revert);
    expect(approval).toMatchObject({ revertOf: id, status: 'approved', comment: 'oops' });
    expect((await gw.awaitOutcome(approval.id, 15_000)).status).toBe('executed');
    expect(await statusOf(10)).toBe('new');
    const unauth = await fetch(`http://127.0.0.1:${http.port}/api/standing`);
    expect(unauth.status).toBe(401);
  });
});
