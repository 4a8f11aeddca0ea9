// Issue 15, item 4: SIGTERM to `airlock serve` stops accepting connections at once (wire and HTTP),
// lets a statement in flight finish (within shutdownGraceMs), then exits 0; a pending approval made
// before stays pending in the store (shutdown denies nothing).
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { mcpClient, mcpQuery, opsEnv, wireClient, type OpsEnv } from './ops-env.js';

let env: OpsEnv;
let serve: ServeProcess | undefined;

beforeAll(async () => {
  env = await opsEnv('shutdown');
});

afterAll(async () => {
  await serve?.kill9();
  await env?.drop();
});

/** pg_sleep is ask-tier by default; here it must run upstream as an auto statement */
const SLEEP_IS_AUTO = { policy: { rules: [{ name: 'sleep-is-auto', functions: ['pg_sleep'], tier: 'auto', unsafe: true }] } };

const exitOf = (s: ServeProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) resolve({ code: s.child.exitCode, signal: s.child.signalCode });
    else s.child.once('exit', (code, signal) => resolve({ code, signal }));
  });

describe('SIGTERM', () => {
  it('refuses new connections, lets the running statement finish, exits 0 and leaves approvals pending', async () => {
    serve = await startServe(env.config({ shutdownGraceMs: 5000, ...SLEEP_IS_AUTO }));
    const s = serve;

    // a pending approval, made before the shutdown
    const mcp = await mcpClient(env, s.httpPort);
    const held = await mcpQuery(mcp, "UPDATE t SET v = 'changed' WHERE id = 1");
    expect(held.status).toBe('pending');
    await mcp.close();

    const busy = await wireClient(env, s.wirePort);
    const idle = await wireClient(env, s.wirePort);
    const idleEnded = new Promise<Error>((resolve) => idle.on('error', resolve));
    busy.on('error', () => undefined); // the session ends after its statement: expected
    const slow = busy.query('SELECT pg_sleep(1) AS slept, 42 AS answer');
    await sleep(200); // the statement is running upstream
    const exited = exitOf(s);
    const signalledAt = Date.now();
    s.child.kill('SIGTERM');
    await sleep(150);

    // no new connections on either door
    const late = new pg.Client({
      host: '127.0.0.1',
      port: s.wirePort,
      user: env.agent.name,
      password: env.agent.token,
      database: env.database,
    });
    await expect(late.connect()).rejects.toThrow(/ECONNREFUSED|terminat|shutting down/);
    await expect(fetch(`http://127.0.0.1:${s.httpPort}/healthz`)).rejects.toThrow();
    // an idle session is ended at once, with PostgreSQL's admin-shutdown code
    expect(((await idleEnded) as Error & { code?: string }).code).toBe('57P01');

    // the statement in flight finishes and its result arrives
    const result = await slow;
    expect(result.rows).toEqual([{ slept: '', answer: 42 }]);
    const { code, signal } = await exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(Date.now() - signalledAt, 'waited for the statement, not for the whole grace period').toBeLessThan(4500);
    expect(s.stderr()).not.toMatch(/"level":50/);

    // shutdown denied nothing
    expect(await env.approvalStatus(held.approval_id!)).toBe('pending');
    await busy.end().catch(() => undefined);
    await idle.end().catch(() => undefined);
  });

  it('ends a statement that outlives shutdownGraceMs and still exits 0', async () => {
    serve = await startServe(env.config({ shutdownGraceMs: 300, ...SLEEP_IS_AUTO }));
    const s = serve;
    const busy = await wireClient(env, s.wirePort);
    busy.on('error', () => undefined);
    const slow = busy.query('SELECT pg_sleep(3)').then(
      () => 'finished',
      () => 'cut off',
    );
    await sleep(100);
    const exited = exitOf(s);
    const signalledAt = Date.now();
    s.child.kill('SIGTERM');
    expect(await slow).toBe('cut off');
    expect((await exited).code).toBe(0);
    // well before the 3 s statement would have ended (a loaded 2-core machine needs slack beyond the 300 ms grace)
    expect(Date.now() - signalledAt).toBeLessThan(2500);
  });
});
