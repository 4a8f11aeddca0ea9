// `airlock approvals` as a reviewer runs it, against the store a running gateway writes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createFixtureDb, type FixtureDb } from '../approvals/preview-db.js';
import { testConfig } from '../helpers/gateway.js';
import { runCli } from '../helpers/cli.js';
import { Gateway } from '../../src/gateway/gateway.js';

let db: FixtureDb;
let gw: Gateway;
let env: NodeJS.ProcessEnv;
let agent: { id: string; name: string };

beforeAll(async () => {
  db = await createFixtureDb('cliap');
  const { config, opts } = testConfig({ database: db.name });
  gw = await Gateway.open(config, opts);
  env = { AIRLOCK_STORE_URL: config.store.url, AIRLOCK_UPSTREAM_URL: config.upstream.url, REDIS_URL: '' };
  const created = await gw.store.createAgent('cli-agent');
  agent = { id: created.agent.id, name: created.agent.name };
});
afterAll(async () => {
  await gw.close();
  await db.drop();
});

const hold = async (sql: string) => {
  const out = await gw.query({ agent, door: 'api', database: db.name, sql });
  if (out.status !== 'pending') throw new Error(`expected pending, got ${out.status}`);
  return out;
};

describe('airlock approvals', () => {
  it('lists pending approvals as JSON lines and shows the preview with a before/after diff', async () => {
    const out = await hold("UPDATE orders SET status = 'late' WHERE id = 1");
    const list = await runCli(['approvals', 'list', '--status', 'pending', '--json'], { env });
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.id)).toContain(out.approvalId);
    const show = await runCli(['approvals', 'show', out.approvalId], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/UPDATE orders SET status = 'late' WHERE id = 1/);
    expect(show.stdout).toMatch(/1 row\(s\) affected/);
    expect(show.stdout).toMatch(/Before:[\s\S]*open[\s\S]*After \(\* = changed\):[\s\S]*late \*/);
  });

  it('approve --as executes through the running gateway; deny --comment records the reason', async () => {
    const a = await hold('UPDATE orders SET total = 1 WHERE id = 2');
    const approve = await runCli(['approvals', 'approve', a.approvalId, '--as', 'rita', '--json'], { env });
    expect(approve.code).toBe(0);
    expect(JSON.parse(approve.stdout).status).toBe('approved');
    expect((await gw.approvals.awaitOutcome(a.approvalId, 15_000, a.decision)).status).toBe('executed');
    const d = await hold('UPDATE orders SET total = 2 WHERE id = 3');
    const deny = await runCli(['approvals', 'deny', d.approvalId, '--as', 'rita', '--comment', 'wrong table', '--json'], { env });
    expect(JSON.parse(deny.stdout)).toMatchObject({ status: 'denied', comment: 'wrong table' });
  });

  it('refuses bad ids and double decisions with a clear message and exit 1', async () => {
    const bad = await runCli(['approvals', 'approve', 'nope', '--as', 'rita'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/malformed approval id/);
    const a = await hold('UPDATE orders SET total = 3 WHERE id = 4');
    await runCli(['approvals', 'deny', a.approvalId, '--as', 'rita'], { env });
    const twice = await runCli(['approvals', 'approve', a.approvalId, '--as', 'sam'], { env });
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/denied, not pending/);
  });
});
