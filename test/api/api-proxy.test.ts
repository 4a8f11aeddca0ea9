// Issue 13: the multi-API proxy end to end, as a user runs it — `airlock vault set` (stdin), `airlock
// serve --integrations DIR`, agents calling /v1/call and /proxy with their own token, reviewers
// approving with the CLI — against a fake upstream API that records what it receives.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runCli } from '../helpers/cli.js';
import { uniqueName } from '../helpers/env.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { fakepayYaml, startFakeUpstream, type FakeUpstream } from './fake-upstream.js';

const SECRET = `sk_test_${randomBytes(18).toString('hex')}`;
let dir: string;
let storeUrl: string;
let upstream: FakeUpstream;
let serve: ServeProcess;
let base: string;
let token: string;
const answers: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-api-'));
  storeUrl = `sqlite:${join(dir, 'store.sqlite')}`;
  upstream = await startFakeUpstream();
  mkdirSync(join(dir, 'integrations'));
  writeFileSync(join(dir, 'integrations', 'fakepay.yaml'), fakepayYaml(upstream.url));
  expect((await runCli(['migrate', '--store', storeUrl])).code).toBe(0);
  const set = await runCli(['vault', 'set', 'fakepay_key', '--store', storeUrl], { input: `${SECRET}\n` });
  expect(set.code, set.stderr).toBe(0);
  expect(set.stderr).toMatch(/created the vault master key/);
  const a = await runCli(['agents', 'create', uniqueName('agent'), '--store', storeUrl, '--json']);
  token = JSON.parse(a.stdout).token;
  serve = await startServe(
    {
      upstream: { url: 'postgresql://127.0.0.1:5432/test' },
      store: { url: storeUrl },
      reviewers: [
        { name: 'rita', token: 'rita-token-0123456789' },
        { name: 'sam', token: 'sam-token-01234567890' },
      ],
      integrations: { dirs: [join(dir, 'integrations')] },
    },
    { AIRLOCK_LOG_LEVEL: 'debug' },
  );
  base = `http://127.0.0.1:${serve.httpPort}`;
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(integration: string, method: string, args: unknown, auth = token): Promise<{ status: number; body: any }> {
  const r = await fetch(`${base}/v1/call/${integration}/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify({ args }),
  });
  const text = await r.text();
  answers.push(text);
  return { status: r.status, body: JSON.parse(text) };
}

async function approval(id: string): Promise<any> {
  const r = await fetch(`${base}/v1/approvals/${id}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await r.text();
  answers.push(text);
  return JSON.parse(text);
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sent = (path: string) => upstream.received.filter((r) => r.url.split('?')[0] === path);

describe('API proxy', () => {
  it('auto: sent at once with the credential injected server-side; the agent never sees it', async () => {
    const r = await call('fakepay', 'list_customers', { limit: 3 });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('done');
    expect(r.body.response.status).toBe(200);
    const got = sent('/v1/customers').at(-1)!;
    expect(got.url).toBe('/v1/customers?limit=3');
    expect(got.headers.authorization).toBe(`Bearer ${SECRET}`);
    // the upstream echoes the credential: the agent gets it masked
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
    expect(r.body.response.body.authorization).toBe('Bearer ••••');
  });

  it('ask: held with nothing sent, then sent exactly once with exactly the approved arguments', async () => {
    const before = sent('/v1/refunds').length;
    const held = await call('fakepay', 'create_refund', { charge: 'ch_1', amount: 500 });
    expect(held.status).toBe(202);
    expect(held.body).toMatchObject({ status: 'pending', request: { method: 'POST', url: `${upstream.url}/v1/refunds` } });
    expect(held.body.request.body).toEqual({ amount: 500, charge: 'ch_1' });
    expect(sent('/v1/refunds').length).toBe(before);
    // the same call again while pending: the same approval, still nothing sent
    const again = await call('fakepay', 'create_refund', { amount: 500, charge: 'ch_1' });
    expect(again.body.approval_id).toBe(held.body.approval_id);
    // a changed argument is a new approval
    const changed = await call('fakepay', 'create_refund', { charge: 'ch_1', amount: 501 });
    expect(changed.body.approval_id).not.toBe(held.body.approval_id);

    const id = held.body.approval_id;
    const show = JSON.parse((await runCli(['approvals', 'show', id, '--json', '--store', storeUrl])).stdout);
    expect(show).toMatchObject({ door: 'api', database: 'fakepay', call: { integration: 'fakepay', method: 'create_refund' } });
    // the reviewer's text view shows the method, the exact arguments and the request, never as SQL
    const text = (await runCli(['approvals', 'show', id, '--store', storeUrl])).stdout;
    expect(text).toMatch(/API call:\n {2}fakepay\.create_refund/);
    expect(text).toMatch(/"amount": 500/);
    expect(text).toContain(`POST ${upstream.url}/v1/refunds`);
    expect(text).not.toMatch(/^SQL:/m);
    expect((await runCli(['approvals', 'approve', id, '--as', 'rita', '--store', storeUrl])).code).toBe(0);
    const done = await until(
      () => approval(id),
      (a) => a.status === 'executed',
    );
    expect(done.status).toBe('executed');
    expect(done.response.status).toBe(200);
    const refunds = sent('/v1/refunds').slice(before);
    expect(refunds).toHaveLength(1);
    expect(JSON.parse(refunds[0].body)).toEqual({ amount: 500, charge: 'ch_1' });
    expect(refunds[0].headers['idempotency-key']).toBe(id);
    expect(refunds[0].headers.authorization).toBe(`Bearer ${SECRET}`);
    // the identical call now gets the approved result once (single use), without a second send
    const retry = await call('fakepay', 'create_refund', { charge: 'ch_1', amount: 500 });
    expect(retry.body.status).toBe('done');
    const third = await call('fakepay', 'create_refund', { charge: 'ch_1', amount: 500 });
    expect(third.status).toBe(202);
    expect(third.body.approval_id).not.toBe(id);
    expect(sent('/v1/refunds').slice(before)).toHaveLength(1);
  });

  it('conditions on arguments: small refunds auto, large ones need two reviewers', async () => {
    const small = await call('fakepay', 'create_refund', { charge: 'ch_2', amount: 20 });
    expect(small.body.status).toBe('done');
    const large = await call('fakepay', 'create_refund', { charge: 'ch_3', amount: 20_000 });
    expect(large.status).toBe(202);
    const show = JSON.parse((await runCli(['approvals', 'show', large.body.approval_id, '--json', '--store', storeUrl])).stdout);
    expect(show.requiredApprovals).toBe(2);
    expect(show.decision.reason).toMatch(/two reviewers/);
  });

  it('block: refused with the rule, never sent', async () => {
    const r = await call('fakepay', 'delete_customer', { id: 'cus_1' });
    expect(r.status).toBe(403);
    expect(r.body.error.rule).toMatch(/delete_customer/);
    expect(upstream.received.some((x) => x.method === 'DELETE')).toBe(false);
  });

  it('no argument or proxy route reaches another path', async () => {
    const slash = await call('fakepay', 'get_customer', { id: '../../admin' });
    expect(slash.status).toBe(200);
    expect(sent('/v1/customers/..%2F..%2Fadmin')).toHaveLength(1);
    expect((await call('fakepay', 'get_customer', { id: '..' })).status).toBe(400);
    expect((await call('fakepay', 'get_customer', { id: '.' })).status).toBe(400);
    // vendor-style routes: unmapped ones are refused; dot segments never resolve upstream
    const raw = (path: string) =>
      new Promise<number>((resolve, reject) => {
        // host, port and path apart: the path goes out exactly as written, dot segments included
        const req = httpRequest({ host: '127.0.0.1', port: serve.httpPort, path, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await raw('/proxy/fakepay/v1/customers/../admin')).toBe(404);
    expect(await raw('/proxy/fakepay/v1/customers/..')).toBe(400);
    expect(await raw('/proxy/fakepay/v1/admin')).toBe(404);
    expect(await raw('/proxy/fakepay/v1/customers/cus_9%2F..%2Fx')).toBe(200);
    expect(await raw('/proxy/fakepay/v1/customers?limit=2')).toBe(200);
    const paths = upstream.received.map((r) => r.url.split('?')[0]);
    expect(
      paths.every((p) => p === '/v1/customers' || p.startsWith('/v1/customers/') || p.startsWith('/v1/refunds') || p === '/v1/echo'),
    ).toBe(true);
    expect(paths).toContain('/v1/customers/cus_9%2F..%2Fx');
    expect(paths.some((p) => p.includes('admin') && !p.startsWith('/v1/customers/'))).toBe(false);
  });

  it('bad input: clear 4xx, nothing sent', async () => {
    const n = upstream.received.length;
    expect((await call('fakepay', 'list_customers', { limit: 1000 })).body.error.message).toMatch(/limit/);
    expect((await call('fakepay', 'list_customers', { nope: 1 })).status).toBe(400);
    expect((await call('fakepay', 'nothing', {})).status).toBe(404);
    expect((await call('nowhere', 'list', {})).status).toBe(404);
    expect((await call('fakepay', 'list_customers', {}, 'wrong-token')).status).toBe(401);
    const garbled = await fetch(`${base}/v1/call/fakepay/list_customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"args": {',
    });
    expect(garbled.status).toBe(400);
    expect(((await garbled.json()) as { error: { code: string } }).error.code).toBe('22023');
    expect(upstream.received.length).toBe(n);
    await new Promise((r) => setTimeout(r, 300));
    const errors = await runCli(['audit', 'list', '--json', '--type', 'error', '--store', storeUrl]);
    expect(errors.stdout).toMatch(/v1\/call\/fakepay\/list_customers/);
  });

  it('upstream trouble: 5xx passed on as done, a timeout and a 50 MB answer are clear errors', async () => {
    const boom = await call('fakepay', 'boom', {});
    expect(boom.body).toMatchObject({ status: 'done', response: { status: 500 } });
    const slow = await call('fakepay', 'slow', {});
    expect(slow.status).toBe(504);
    expect(slow.body.error.message).toMatch(/did not answer within 1500 ms/);
    const huge = await call('fakepay', 'huge', {});
    expect(huge.status).toBe(502);
    expect(huge.body.error.code).toBe('54000');
    // still serving
    expect((await call('fakepay', 'list_customers', {})).status).toBe(200);
  }, 30_000);

  it('MCP: each allowed method is a tool with its schema and hints; calls go through the same rules', async () => {
    const mcp = new Client({ name: 'api-test', version: '1' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
    );
    try {
      const { tools } = await mcp.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect(byName.get('fakepay_list_customers')?.annotations).toMatchObject({ readOnlyHint: true });
      expect(byName.get('fakepay_create_refund')?.annotations).toMatchObject({ readOnlyHint: false });
      expect(byName.get('fakepay_create_refund')?.inputSchema).toMatchObject({ required: ['charge', 'amount'] });
      expect(byName.has('fakepay_delete_customer')).toBe(false); // blocked outright: not offered
      expect([...byName.keys()].some((n) => n.startsWith('stripe_'))).toBe(false); // no credential set: not offered
      const listed = (await mcp.callTool({ name: 'fakepay_list_customers', arguments: { limit: 2 } })) as any;
      expect(listed.structuredContent).toMatchObject({ status: 'done', response: { status: 200 } });
      const n = sent('/v1/refunds').length;
      const held = (await mcp.callTool({ name: 'fakepay_create_refund', arguments: { charge: 'ch_mcp', amount: 700 } })) as any;
      expect(held.structuredContent).toMatchObject({ status: 'pending', request: { method: 'POST' } });
      expect(sent('/v1/refunds').length).toBe(n);
      const status = (await mcp.callTool({ name: 'api_approval_status', arguments: { id: held.structuredContent.approval_id } })) as any;
      expect(status.structuredContent).toMatchObject({ status: 'pending', integration: 'fakepay', method: 'create_refund' });
      answers.push(JSON.stringify(listed), JSON.stringify(held), JSON.stringify(status));
    } finally {
      await mcp.close();
    }
  });

  it('CLI: airlock call exits 0 done, 2 pending, 1 blocked', async () => {
    const env = { AIRLOCK_AGENT_TOKEN: token };
    const cfg = join(dir, 'cli.yaml');
    writeFileSync(
      cfg,
      JSON.stringify({
        store: { url: storeUrl },
        upstream: { url: 'postgresql://127.0.0.1:5432/test' },
        integrations: { dirs: [join(dir, 'integrations')] },
      }),
    );
    const done = await runCli(['--config', cfg, 'call', 'fakepay', 'list_customers', '--arg', 'limit=2', '--json'], { env });
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ status: 'done', response: { status: 200 } });
    const pending = await runCli(
      ['--config', cfg, 'call', 'fakepay', 'create_refund', '--arg', 'charge=ch_cli', '--arg', 'amount=900', '--json'],
      { env },
    );
    expect(pending.code).toBe(2);
    expect(JSON.parse(pending.stdout).status).toBe('pending');
    const blocked = await runCli(['--config', cfg, 'call', 'fakepay', 'delete_customer', '--arg', 'id=cus_1'], { env });
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/blocked/);
    for (const r of [done, pending, blocked]) answers.push(r.stdout, r.stderr);
  });

  it('the secret is nowhere: answers, logs, audit export, approval views, and the store holds it only encrypted', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const exported = await runCli(['audit', 'export', '--store', storeUrl]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('fakepay');
    const approvals = await runCli(['approvals', 'list', '--json', '--store', storeUrl]);
    for (const text of [...answers, serve.stderr(), exported.stdout, approvals.stdout]) expect(text).not.toContain(SECRET);
    expect(serve.stderr().length).toBeGreaterThan(0);
    for (const f of readdirSync(dir).filter((x) => x.startsWith('store.sqlite') && statSync(join(dir, x)).isFile())) {
      const bytes = readFileSync(join(dir, f));
      expect(bytes.includes(Buffer.from(SECRET)), f).toBe(false);
    }
    const list = await runCli(['vault', 'list', '--json', '--store', storeUrl]);
    expect(list.stdout).toContain('fakepay_key');
    expect(list.stdout).not.toContain(SECRET);
  });

  it('a wrong master key stops the start with a clear error and changes nothing', async () => {
    const wrong = randomBytes(32).toString('base64');
    const r = await runCli(['vault', 'set', 'other', '--store', storeUrl], { input: 'value', env: { AIRLOCK_MASTER_KEY: wrong } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/master key .* does not open this store's vault/);
    const names = (await runCli(['vault', 'list', '--json', '--store', storeUrl])).stdout;
    expect(names).not.toContain('"other"');
    await expect(
      startServe({ upstream: { url: 'postgresql://127.0.0.1:5432/test' }, store: { url: storeUrl } }, { AIRLOCK_MASTER_KEY: wrong }),
    ).rejects.toThrow(/does not open this store's vault/);
  });

  it('an invalid definition stops the start, naming the file and the key', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(
      join(bad, 'broken.yaml'),
      fakepayYaml(upstream.url).replace('tier: block', 'tier: maybe').replace('name: fakepay', 'name: broken'),
    );
    await expect(
      startServe({ upstream: { url: 'postgresql://127.0.0.1:5432/test' }, store: { url: storeUrl }, integrations: { dirs: [bad] } }),
    ).rejects.toThrow(/broken\.yaml.*methods\.delete_customer\.tier/s);
    writeFileSync(join(bad, 'broken.yaml'), 'name: [unclosed');
    await expect(
      startServe({ upstream: { url: 'postgresql://127.0.0.1:5432/test' }, store: { url: storeUrl }, integrations: { dirs: [bad] } }),
    ).rejects.toThrow(/broken\.yaml.*YAML/s);
  });
});
