// Issue 15, item 4: /readyz answers 200 when the store, the upstream and the queue (Redis) answer and
// 503 naming the failed check otherwise; /healthz stays the process-only check; `serve` starts with
// an unreachable upstream and says so; request ids are kept or made, and echoed.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonBody } from '../helpers/env.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { closedPort, opsEnv, wireClient, type OpsEnv } from './ops-env.js';

let env: OpsEnv;
const started: ServeProcess[] = [];

beforeAll(async () => {
  env = await opsEnv('ready');
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await env?.drop();
});

const serve = async (config: Record<string, unknown>) => {
  const s = await startServe(config);
  started.push(s);
  return s;
};

const get = (s: ServeProcess, path: string, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${s.httpPort}${path}`, { headers });

describe('/readyz', () => {
  it('is 200 with every check passing when the store, the upstream and Redis answer', async () => {
    const s = await serve(env.config());
    const r = await get(s, '/readyz');
    expect(r.status).toBe(200);
    const body = await jsonBody(r);
    expect(body.ok).toBe(true);
    expect(Object.keys(body.checks).sort()).toEqual(['queue', 'store', 'upstream']);
    for (const name of ['store', 'upstream', 'queue']) expect(body.checks[name], name).toMatchObject({ ok: true });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await get(s, '/healthz')).status).toBe(200);
  });

  it('is 503 naming the upstream when it points at a closed port; serve still starts and warns', async () => {
    const port = await closedPort();
    const s = await serve(env.config({ upstream: { url: `postgresql://nobody:secret-pw@127.0.0.1:${port}/${env.database}` } }));
    // stderr and stdout are separate pipes: the warning may arrive just after the ports
    for (let i = 0; i < 50 && !s.stderr().includes('unreachable'); i++) await sleep(20);
    expect(s.stderr()).toContain('the upstream database is unreachable: airlock serve starts anyway');
    expect(s.stderr(), 'the password is not logged').not.toContain('secret-pw');
    const r = await get(s, '/readyz');
    expect(r.status).toBe(503);
    const body = await jsonBody(r);
    expect(body.ok).toBe(false);
    expect(body.checks.upstream).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
    expect(body.checks.store.ok).toBe(true);
    expect(body.checks.queue.ok).toBe(true);
    expect(JSON.stringify(body), 'no address in the answer').not.toContain(String(port));
    // the process itself is alive
    expect((await get(s, '/healthz')).status).toBe(200);
  });

  it('is 503 naming the queue when Redis does not answer', async () => {
    const port = await closedPort();
    const s = await serve(env.config({ redis: { url: `redis://127.0.0.1:${port}` } }));
    const r = await get(s, '/readyz');
    expect(r.status).toBe(503);
    const body = await jsonBody(r);
    expect(body.checks.queue.ok).toBe(false);
    expect(body.checks.upstream.ok).toBe(true);
    expect(body.checks.store.ok).toBe(true);
  });
});

describe('request ids', () => {
  it('keeps a safe X-Request-Id, replaces an unsafe one, echoes it, and puts it on the log lines', async () => {
    const s = await startServe(env.config(), { AIRLOCK_LOG_LEVEL: 'debug' });
    started.push(s);
    const kept = await get(s, '/healthz', { 'x-request-id': 'lb-7f3a.42_x' });
    expect(kept.headers.get('x-request-id')).toBe('lb-7f3a.42_x');
    const made = await get(s, '/healthz', { 'x-request-id': 'no spaces {or} "quotes"' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const fresh = await get(s, '/readyz?token=not-logged');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await get(s, '/healthz', { 'x-request-id': 'a'.repeat(65) });
    expect(tooLong.headers.get('x-request-id')).not.toBe('a'.repeat(65));

    const c = await wireClient(env, s.wirePort);
    await c.query('SELECT 1');
    await c.end();
    const lines = () =>
      s
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
    for (let i = 0; i < 50 && !lines().some((l) => l.msg === 'wire statement answered'); i++) await sleep(20);
    const http = lines().filter((l) => l.msg === 'http request');
    expect(http.find((l) => l.requestId === 'lb-7f3a.42_x')).toMatchObject({ method: 'GET', path: '/healthz', status: 200 });
    expect(http.find((l) => l.requestId === fresh.headers.get('x-request-id'))).toMatchObject({ path: '/readyz' });
    expect(s.stderr(), 'no query string in the access line').not.toContain('not-logged');
    const wire = lines().find((l) => l.msg === 'wire statement answered');
    expect(wire).toMatchObject({ agent: env.agent.name, database: env.database });
    expect(wire.requestId).toMatch(/^[0-9a-f]+-1$/);
    expect(wire.ms).toBeGreaterThan(0);
  });
});
