// Several gateways as one (issue 15.6): two `airlock serve` processes on one Redis (BullMQ) and one
// PostgreSQL store. An approval created on one and approved on both at once executes exactly once;
// 1,000 mixed requests over both leave one valid audit chain with exactly one decision event each;
// a gateway killed with SIGKILL mid-run loses no approval and no answered request's decision, and
// its clients carry on through the other one.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentWithCli, runCli } from '../helpers/cli.js';
import { DATABASE_URL, REDIS_URL, uniqueName } from '../helpers/env.js';
import { withClient as admin } from '../helpers/pg.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

const database = uniqueName('twogw');
const schema = uniqueName('twogw_store');
const storeUrl = `${DATABASE_URL}?schema=${schema}`;
const upstreamUrl = (() => {
  const u = new URL(DATABASE_URL);
  u.pathname = `/${database}`;
  return u.toString();
})();
const reviewers = [
  { name: 'rita', token: `rv_${randomBytes(18).toString('hex')}` },
  { name: 'sam', token: `rv_${randomBytes(18).toString('hex')}` },
];
const config = {
  upstream: { url: upstreamUrl },
  store: { url: storeUrl },
  redis: { url: REDIS_URL, queueName: uniqueName('twogw_q') },
  wire: { port: 0, approvalWaitSeconds: 0 },
  reviewers,
};

let a: ServeProcess;
let b: ServeProcess;
let agent: { name: string; token: string };

const wireClient = async (gw: ServeProcess) => {
  const c = new pg.Client({ host: '127.0.0.1', port: gw.wirePort, user: agent.name, password: agent.token, database });
  c.on('error', () => undefined);
  await c.connect();
  return c;
};

/** The store's audit trail, exported as `airlock audit export` writes it for a SIEM. */
async function auditEvents(): Promise<{ type: string; approval_id?: string | null; data: { sql?: string } }[]> {
  const r = await runCli(['audit', 'export', '--store', storeUrl], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  await admin(DATABASE_URL, (c) => c.query(`CREATE DATABASE ${database}`));
  await admin(upstreamUrl, (c) => c.query('CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL); INSERT INTO t VALUES (1, 0)'));
  expect((await runCli(['migrate', '--store', storeUrl])).code).toBe(0);
  agent = await createAgentWithCli(storeUrl, 'twogw-agent');
  [a, b] = await Promise.all([startServe(config), startServe(config)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await admin(DATABASE_URL, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
});

describe('two gateways on one Redis and one PostgreSQL store', () => {
  it('executes an approval exactly once when both gateways (and the CLI) approve it at once', async () => {
    const c = await wireClient(a);
    const held = await c.query('UPDATE t SET v = v + 1 WHERE id = 1').catch((e: Error) => e);
    await c.end();
    expect(String(held)).toMatch(/is still pending/);
    const pending = await runCli(['approvals', 'list', '--status', 'pending', '--json', '--store', storeUrl]);
    const id = (JSON.parse(pending.stdout.trim().split('\n')[0]) as { id: string }).id;
    const approve = (gw: ServeProcess, who: (typeof reviewers)[number]) =>
      fetch(`http://127.0.0.1:${gw.httpPort}/api/approvals/${id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
        body: '{}',
      }).then((r) => r.status);
    const statuses = await Promise.all([
      approve(a, reviewers[0]),
      approve(b, reviewers[1]),
      runCli(['approvals', 'approve', id, '--as', 'carol', '--store', storeUrl]).then((r) => r.code),
    ]);
    expect(statuses.filter((s) => s === 200 || s === 0).length).toBeGreaterThanOrEqual(1);
    let status = '';
    for (let i = 0; i < 150 && status !== 'executed'; i++) {
      const show = await runCli(['approvals', 'show', id, '--json', '--store', storeUrl]);
      status = (JSON.parse(show.stdout) as { status: string }).status;
      if (status !== 'executed') await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe('executed');
    await new Promise((r) => setTimeout(r, 1500)); // time for a second execution, were there one
    expect(await admin(upstreamUrl, async (c2) => (await c2.query('SELECT v FROM t WHERE id = 1')).rows[0].v)).toBe(1);
    const executed = (await auditEvents()).filter((e) => e.type === 'execution.executed' && e.approval_id === id);
    expect(executed).toHaveLength(1);
  }, 120_000);

  it('1,000 mixed requests over both: one valid chain, exactly one decision event per request', async () => {
    const run = randomBytes(4).toString('hex');
    const clients = await Promise.all([a, b, a, b].map(wireClient));
    const sqls: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const m = `m${run}_${i}`;
      sqls.push(
        i % 10 === 0 ? `DROP TABLE t_${m}` : i % 10 === 1 ? `UPDATE t SET v = v WHERE id = -${i} /* ${m} */` : `SELECT '${m}' AS m`,
      );
    }
    const results = await Promise.all(
      clients.map(async (c, k) => {
        const out: boolean[] = [];
        for (let i = k; i < sqls.length; i += clients.length) {
          const r = await c.query(sqls[i]).then(
            () => true,
            () => false,
          );
          out.push(r);
        }
        return out;
      }),
    );
    await Promise.all(clients.map((c) => c.end()));
    expect(results.flat().filter(Boolean).length).toBe(800); // the reads ran; DROPs refused, writes held
    const verify = await runCli(['audit', 'verify', '--store', storeUrl], { timeoutMs: 120_000 });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const decisions = new Map<string, number>();
    for (const e of await auditEvents()) {
      const m = e.type === 'decision' ? new RegExp(`m${run}_\\d+`).exec(e.data.sql ?? '')?.[0] : undefined;
      if (m) decisions.set(m, (decisions.get(m) ?? 0) + 1);
    }
    expect(decisions.size).toBe(1000);
    expect([...decisions.values()].every((n) => n === 1)).toBe(true);
  }, 300_000);

  it('a gateway killed with SIGKILL mid-run loses nothing, and its clients carry on through the other', async () => {
    const run = randomBytes(4).toString('hex');
    const answered: string[] = [];
    const c = await wireClient(b);
    let stop = false;
    const loop = (async () => {
      for (let i = 0; !stop; i++) {
        const sql = i % 2 ? `SELECT 'k${run}_${i}'` : `UPDATE t SET v = v WHERE id = -${i} /* k${run}_${i} */`;
        try {
          await c.query(sql);
          answered.push(`k${run}_${i}`);
        } catch (e) {
          if (!/is still pending/.test(String(e))) return; // the connection died with the gateway
          answered.push(`k${run}_${i}`);
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    await b.kill9();
    stop = true;
    await loop;
    expect(answered.length).toBeGreaterThan(5);
    // the client reconnects to the surviving gateway and carries on
    const again = await wireClient(a);
    expect((await again.query(`SELECT 'after ${run}' AS x`)).rows[0].x).toBe(`after ${run}`);
    await again.end();
    // every answered request has its decision, every held write its approval
    const decided = new Set<string>();
    for (const e of await auditEvents()) {
      const m = e.type === 'decision' ? new RegExp(`k${run}_\\d+`).exec(e.data.sql ?? '')?.[0] : undefined;
      if (m) decided.add(m);
    }
    expect(answered.filter((m) => !decided.has(m))).toEqual([]);
    const list = await runCli(['approvals', 'list', '--json', '--limit', '100000', '--store', storeUrl]);
    const approvals = list.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { sql: string }).sql);
    const heldAnswered = answered.filter((m) => Number(m.split('_')[1]) % 2 === 0);
    expect(heldAnswered.filter((m) => !approvals.some((s) => s.includes(m)))).toEqual([]);
    const verify = await runCli(['audit', 'verify', '--store', storeUrl], { timeoutMs: 120_000 });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // restarting the killed gateway replays what its journal held, and the chain stays valid
    b = await startServe(config);
    expect((await runCli(['audit', 'verify', '--store', storeUrl], { timeoutMs: 120_000 })).code).toBe(0);
  }, 180_000);
});
