// Issue 16, item 2 on the wire: caps an agent cannot lift, per agent, on the proxy's fast path —
// rows and bytes per result (LIMIT does not help; a NoticeResponse says so before the
// CommandComplete), and statement time (SET statement_timeout = 0 / '200s' does not help: 57014).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/env.js';
import { codeOf, dropDatabase, itemsDatabase, limitedGateway, wireFor, type LimitedGateway } from './helpers.js';

const capped = uniqueName('capped');
const bytes = uniqueName('bytes');
const free = uniqueName('free');
let database: string;
let lg: LimitedGateway;
let wire: Awaited<ReturnType<typeof wireFor>>;

beforeAll(async () => {
  database = await itemsDatabase(200);
  lg = await limitedGateway({
    database,
    agents: [capped, bytes, free],
    limits: {
      default: { maxRows: 150, statementTimeoutMs: 60_000 },
      agents: {
        [capped]: { maxRows: 10, statementTimeoutMs: 1000 },
        [bytes]: { maxResultBytes: '2kB', statementTimeoutMs: 1000 },
      },
    },
    // the other engineer's policy change lets pg_dump's SET statement_timeout = 0 run; here a rule does
    policy: {
      rules: [
        { name: 'timeouts-free', kinds: ['set'], tier: 'auto', unsafe: true },
        // long statements to cancel: pg_sleep is held by default
        { name: 'sleep-for-tests', functions: ['pg_sleep'], tier: 'auto', unsafe: true },
      ],
    },
  });
  wire = await wireFor(lg.gw);
});

afterAll(async () => {
  await wire?.close();
  await lg?.close();
  if (database) await dropDatabase(database);
});

describe('row and byte caps on the wire', () => {
  it('caps a result at the agent’s maxRows whatever the LIMIT, with a notice before CommandComplete', async () => {
    const c = await wire.connect(lg.agents[capped], database);
    const r = await c.query('SELECT id FROM items ORDER BY id LIMIT 1000000000');
    expect(r.rows.map((x) => x.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.rowCount).toBe(200); // the server's own count stays
    expect(c.notices.some((n) => /result capped at 10 rows .*maxRows/.test(n))).toBe(true);
    // the extended protocol (a parameter) and the next statement on the same session
    const p = await c.query('SELECT id FROM items WHERE id > $1 ORDER BY id', [100]);
    expect(p.rows.length).toBe(10);
    expect(p.rows[0].id).toBe(101);
    const small = await c.query('SELECT count(*)::int AS n FROM items');
    expect(small.rows).toEqual([{ n: 200 }]);
    // each result of a multi-statement string is capped on its own
    const multi = (await c.query('SELECT id FROM items; SELECT id FROM items WHERE id <= 3')) as unknown as { rows: unknown[] }[];
    expect(multi.map((m) => m.rows.length)).toEqual([10, 3]);
  });

  it('applies the default to agents without their own entry', async () => {
    const c = await wire.connect(lg.agents[free], database);
    expect((await c.query('SELECT id FROM items')).rows.length).toBe(150);
    expect((await c.query('SELECT id FROM items WHERE id <= 150')).rows.length).toBe(150);
  });

  it('caps by bytes of row data (maxResultBytes)', async () => {
    const c = await wire.connect(lg.agents[bytes], database);
    const r = await c.query('SELECT id, pad FROM items ORDER BY id');
    // each DataRow of (int, 100-byte text) is ~120 bytes: 2000 bytes hold 16 of them
    expect(r.rows.length).toBeGreaterThan(10);
    expect(r.rows.length).toBeLessThan(20);
    expect(c.notices.some((n) => /result capped at 2000 bytes .*maxResultBytes/.test(n))).toBe(true);
  });

  it('caps COPY ... TO STDOUT the same way (psql)', async () => {
    // async: the proxy runs in this process, a synchronous child would block it
    const { stdout: out } = await promisify(execFile)(
      'psql',
      ['-X', '-h', '127.0.0.1', '-p', String(wire.server.port), '-U', capped, '-d', database, '-c', 'COPY items (id) TO STDOUT'],
      { env: { ...process.env, PGPASSWORD: lg.agents[capped].token }, encoding: 'utf8', timeout: 20_000 },
    );
    expect(out.trim().split('\n')).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  });
});

describe('statement-time cap on the wire', () => {
  it('cancels at the cap without any SET (the servers start with it)', async () => {
    const c = await wire.connect(lg.agents[capped], database);
    const t0 = Date.now();
    expect(await codeOf(c.query('SELECT pg_sleep(1.5)'))).toBe('57014');
    expect(Date.now() - t0).toBeLessThan(1400);
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('SET statement_timeout = 0, then a long statement: still canceled at the cap (57014)', async () => {
    const c = await wire.connect(lg.agents[capped], database);
    await c.query('SET statement_timeout = 0');
    expect((await c.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('0');
    const t0 = Date.now();
    expect(await codeOf(c.query('SELECT pg_sleep(4)'))).toBe('57014');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(2500);
    expect(c.notices.some((n) => /statementTimeoutMs \(1000 ms\)/.test(n))).toBe(true);
    // the session goes on, and the next statement is watched again
    expect((await c.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    expect(await codeOf(c.query('SELECT pg_sleep(4)'))).toBe('57014');
  });

  it('SET LOCAL and set_config in a transaction, extended protocol: canceled at the cap', async () => {
    const c = await wire.connect(lg.agents[bytes], database);
    await c.query('BEGIN');
    await c.query("SELECT set_config('statement_timeout', '200s', true)");
    const t0 = Date.now();
    expect(await codeOf(c.query('SELECT pg_sleep(4), $1::int AS n', [4]))).toBe('57014');
    expect(Date.now() - t0).toBeLessThan(2500);
    await c.query('ROLLBACK');
    await c.query('BEGIN');
    await c.query("SET LOCAL statement_timeout = '10min'");
    expect(await codeOf(c.query('SELECT pg_sleep(4)'))).toBe('57014');
    await c.query('ROLLBACK');
  });

  it('leaves statements within the cap alone', async () => {
    const c = await wire.connect(lg.agents[capped], database);
    await c.query('SET statement_timeout = 0');
    // several short statements in a row, longer together than the cap
    for (let i = 0; i < 4; i++) await c.query('SELECT pg_sleep(0.4)');
    expect((await c.query("SELECT 'done' AS s")).rows).toEqual([{ s: 'done' }]);
  });
});
