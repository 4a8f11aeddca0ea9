// Crash safety: kill -9 a gateway holding pending and approved-but-not-executed work, start a new
// one on the same store and queue: nothing is lost and each approval executes exactly once.
// Also: Redis unreachable → ask-tier requests fail closed, auto requests still run.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createFixtureDb, type FixtureDb } from './preview-db.js';
import { testConfig } from '../helpers/gateway.js';
import { Gateway } from '../../src/gateway/gateway.js';
import pg from 'pg';
import { DATABASE_URL } from '../helpers/env.js';

let db: FixtureDb;
beforeAll(async () => {
  db = await createFixtureDb('recov');
});
afterAll(async () => {
  await db.drop();
});

/** The PostgreSQL store lives in its own schema of the test database; remove it afterwards. */
async function dropStoreSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => c.end());
}

async function runChildAndKill(spec: unknown): Promise<{ pending: string; approved: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./gateway-child.ts', import.meta.url).pathname], {
    env: { ...process.env, AIRLOCK_CHILD_SPEC: JSON.stringify(spec), AIRLOCK_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(first);
}

describe.each([
  ['in-process queue + SQLite store', { store: 'sqlite' as const, redis: false }],
  ['BullMQ on Redis + PostgreSQL store', { store: 'postgres' as const, redis: true }],
])('kill -9 and restart (%s)', (_name, backend) => {
  it('loses nothing and executes each approval once', async () => {
    const { config, opts } = testConfig({ database: db.name, ...backend });
    await db.admin.query('DELETE FROM audit_log WHERE id IN (9001, 9002)');
    // create the agent in the shared store first
    const setup = await Gateway.open(config, { ...opts, startWorkers: false });
    const { agent } = await setup.store.createAgent(`crash-${Math.random().toString(36).slice(2, 7)}`);
    await setup.close();

    const ids = await runChildAndKill({ config, opts, agent: { id: agent.id, name: agent.name } });
    const restarted = await Gateway.open(config, opts);
    try {
      expect((await restarted.approvals.get(ids.pending)).status).toBe('pending');
      const done = await restarted.approvals.awaitOutcome(ids.approved, 20_000, {
        decision: 'ask',
        rule: 'x',
        reason: 'x',
        statements: [],
      });
      expect(done.status).toBe('executed');
      await restarted.approvals.approve(ids.pending, 'rita');
      expect(
        (await restarted.approvals.awaitOutcome(ids.pending, 20_000, { decision: 'ask', rule: 'x', reason: 'x', statements: [] })).status,
      ).toBe('executed');
      // run the queue handler again, as a duplicate delivery would: still once
      await restarted.approvals.execute(ids.approved);
      await new Promise((r) => setTimeout(r, 300));
      const rows = await db.admin.query('SELECT id, count(*)::int AS n FROM audit_log WHERE id IN (9001, 9002) GROUP BY id ORDER BY id');
      expect(rows.rows).toEqual([
        { id: 9001, n: 1 },
        { id: 9002, n: 1 },
      ]);
      const markers = await db.admin.query('SELECT count(*)::int AS n FROM airlock_meta.executions WHERE approval_id = ANY($1)', [
        [ids.pending, ids.approved],
      ]);
      expect(markers.rows[0].n).toBe(2);
    } finally {
      await restarted.close();
      if (opts.storeSchema) await dropStoreSchema(opts.storeSchema);
    }
  }, 60_000);
});

describe('two gateways on one store and queue', () => {
  it('a gateway starting beside a live one leaves what the live one is executing alone', async () => {
    const { config, opts } = testConfig({ database: db.name, store: 'postgres', redis: true });
    const live = await Gateway.open(config, opts);
    const locker = new pg.Client({ connectionString: DATABASE_URL.replace(/\/[^/?]*(\?|$)/, `/${db.name}$1`) });
    let started: Gateway | undefined;
    try {
      await locker.connect();
      const { agent } = await live.store.createAgent(`lease-${Math.random().toString(36).slice(2, 7)}`);
      const held = await live.query({
        agent,
        door: 'api',
        database: db.name,
        sql: 'UPDATE accounts SET balance = balance + 1 WHERE id = 3',
      });
      if (held.status !== 'pending') throw new Error(`expected pending, got ${held.status}`);
      const before = Number((await db.admin.query('SELECT balance FROM accounts WHERE id = 3')).rows[0].balance);
      // the row is locked, so the live gateway's execution stays `executing` as long as the test likes
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM accounts WHERE id = 3 FOR UPDATE');
      await live.approvals.approve(held.approvalId, 'rita');
      for (let i = 0; (await live.approvals.get(held.approvalId)).status !== 'executing'; i++) {
        if (i > 200) throw new Error('never started executing');
        await new Promise((r) => setTimeout(r, 25));
      }
      // another gateway starts (its recovery looks at every `executing` approval) and its queue
      // handler is called for this one directly, as a duplicate delivery would: neither waits on
      // the live execution nor takes it over
      started = await Gateway.open(config, { ...opts, queueName: `${opts.queueName}-2` });
      const direct = await Promise.race([
        started.approvals.execute(held.approvalId).then(() => 'returned'),
        new Promise((r) => setTimeout(() => r('blocked on the live execution'), 3000)),
      ]);
      expect(direct).toBe('returned');
      expect((await live.approvals.get(held.approvalId)).status).toBe('executing');
      await locker.query('COMMIT');
      const done = await live.approvals.awaitOutcome(held.approvalId, 20_000, held.decision);
      expect(done).toMatchObject({ status: 'executed', result: { rowCount: 1 } });
      expect(Number((await db.admin.query('SELECT balance FROM accounts WHERE id = 3')).rows[0].balance)).toBe(before + 1);
      await live.audit.flush();
      const ran = await live.store.listAudit({ approvalId: held.approvalId, type: 'execution.executed' });
      expect(ran).toHaveLength(1);
    } finally {
      await locker.end().catch(() => undefined);
      await started?.close();
      await live.close();
      if (opts.storeSchema) await dropStoreSchema(opts.storeSchema);
    }
  }, 60_000);
});

describe('Redis unreachable', () => {
  it('fails ask-tier requests closed with a clear error while auto requests still run', async () => {
    const { config, opts } = testConfig({ database: db.name, redis: 'redis://127.0.0.1:1' });
    const started = Date.now();
    const gw = await Gateway.open(config, opts);
    try {
      expect(Date.now() - started).toBeLessThan(10_000);
      const { agent } = await gw.store.createAgent('redis-down');
      const req = (sql: string) => ({ agent: { id: agent.id, name: agent.name }, door: 'api' as const, database: db.name, sql });
      const read = await gw.query(req('SELECT count(*) AS n FROM accounts'));
      expect(read.status).toBe('executed');
      const write = await gw.query(req('UPDATE accounts SET balance = 0 WHERE id = 1'));
      expect(write.status).toBe('error');
      if (write.status === 'error') {
        expect(write.error.code).toBe('08006');
        expect(write.error.message).toMatch(/queue is unreachable/);
      }
      expect(await gw.store.listApprovals({})).toEqual([]);
      await gw.audit.flush();
      expect((await gw.store.listAudit({ type: 'error' })).length).toBeGreaterThan(0);
    } finally {
      await gw.close();
    }
  }, 30_000);
});
