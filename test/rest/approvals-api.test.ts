// Reviewer HTTP API over a real socket: auth, list/show/approve/deny, clear 4xx JSON for bad input,
// and a webhook receiver that gets the pending notification.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFixtureDb, type FixtureDb } from '../approvals/preview-db.js';
import { openTestGateway } from '../helpers/gateway.js';
import { jsonBody } from '../helpers/env.js';
import { startHttpServer, type HttpServer } from '../../src/rest/http-server.js';
import { verifySignature } from '../../src/approvals/webhook.js';
import type { Gateway } from '../../src/gateway/gateway.js';

const TOKEN = 'reviewer-token-0123456789abcdef';
let db: FixtureDb;
let gw: Gateway;
let http: HttpServer;
let hook: Server;
const received: { body: string; signature?: string }[] = [];
let base: string;
let agent: { id: string; name: string };

beforeAll(async () => {
  db = await createFixtureDb('api');
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body, signature: req.headers['x-airlock-signature'] as string | undefined });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  gw = await openTestGateway({
    database: db.name,
    reviewers: [{ name: 'rita', token: TOKEN }],
    approvals: { webhooks: [{ url: hookUrl, format: 'json', secret: 'hook-secret' }] },
  });
  http = await startHttpServer(gw, { host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${http.port}`;
  const created = await gw.store.createAgent('api-agent');
  agent = { id: created.agent.id, name: created.agent.name };
});
afterAll(async () => {
  await http.close();
  await gw.close();
  await new Promise((r) => hook.close(r));
  await db.drop();
});

const api = (path: string, init: RequestInit & { token?: string | null } = {}) =>
  fetch(`${base}/api${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? TOKEN}` }) },
  });

describe('reviewer HTTP API', () => {
  it('refuses missing or wrong reviewer tokens with 401 JSON', async () => {
    for (const token of [null, 'wrong-token-wrong-token']) {
      const r = await api('/approvals', { token });
      expect(r.status).toBe(401);
      expect((await jsonBody(r)).error.message).toMatch(/reviewer token/);
    }
  });

  it('lists, shows and approves a held write; the webhook was told', async () => {
    const out = await gw.query({ agent, door: 'api', database: db.name, sql: "UPDATE orders SET status = 'paid' WHERE id = 1" });
    if (out.status !== 'pending') throw new Error('expected pending');
    const list = await jsonBody(await api('/approvals?status=pending'));
    expect(list.approvals.map((a: { id: string }) => a.id)).toContain(out.approvalId);
    const show = await jsonBody(await api(`/approvals/${out.approvalId}`));
    expect(show.approval).toMatchObject({
      sql: "UPDATE orders SET status = 'paid' WHERE id = 1",
      preview: { available: true, affectedRows: 1 },
    });
    const approved = await api(`/approvals/${out.approvalId}/approve`, { method: 'POST', body: JSON.stringify({ comment: 'ok' }) });
    expect(approved.status).toBe(200);
    expect((await jsonBody(approved)).approval.status).toBe('approved');
    const again = await api(`/approvals/${out.approvalId}/approve`, { method: 'POST', body: '{}' });
    expect(again.status).toBe(409);
    expect((await jsonBody(again)).error.message).toMatch(/not pending/);
    expect((await gw.approvals.awaitOutcome(out.approvalId, 10_000, out.decision)).status).toBe('executed');
    const start = Date.now();
    while (!received.some((r) => r.body.includes(out.approvalId)) && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 50));
    const delivery = received.find((r) => r.body.includes(out.approvalId) && r.body.includes('approval.pending'))!;
    expect(delivery).toBeDefined();
    expect(verifySignature(delivery.body, delivery.signature, 'hook-secret')).toBe(true);
  });

  it('denies with a comment', async () => {
    const out = await gw.query({ agent, door: 'api', database: db.name, sql: 'UPDATE orders SET total = 0 WHERE id = 2' });
    if (out.status !== 'pending') throw new Error('expected pending');
    const r = await api(`/approvals/${out.approvalId}/deny`, { method: 'POST', body: JSON.stringify({ comment: 'no' }) });
    expect((await jsonBody(r)).approval).toMatchObject({ status: 'denied', deniedBy: 'rita', comment: 'no' });
  });

  it('answers bad input with clear 4xx JSON', async () => {
    const cases: [string, RequestInit, number, RegExp][] = [
      ['/approvals/not-a-uuid', {}, 400, /malformed approval id/],
      ['/approvals/00000000-0000-0000-0000-000000000000', {}, 404, /does not exist/],
      ['/approvals?status=maybe', {}, 400, /status/],
      ['/approvals?limit=-3', {}, 400, /limit/],
      ['/approvals/00000000-0000-0000-0000-000000000000/approve', { method: 'POST', body: '{not json' }, 400, /invalid request/],
      ['/approvals/00000000-0000-0000-0000-000000000000/approve', { method: 'POST', body: JSON.stringify({ comment: 5 }) }, 400, /comment/],
      [
        '/approvals/00000000-0000-0000-0000-000000000000/approve',
        { method: 'POST', body: JSON.stringify({ comment: 'x'.repeat(100_000) }) },
        413,
        /too large/,
      ],
    ];
    for (const [path, init, status, message] of cases) {
      const r = await api(path, init);
      expect(r.status, path).toBe(status);
      expect((await jsonBody(r)).error.message, path).toMatch(message);
    }
  });

  it('serves the audit trail and verifies it', async () => {
    const events = await jsonBody(await api(`/audit?agent=${agent.name}&limit=500`));
    expect(events.events.length).toBeGreaterThan(3);
    const verify = await jsonBody(await api('/audit/verify'));
    expect(verify.ok).toBe(true);
  });

  it('serves the built console for its page paths, without inline script', async () => {
    for (const path of ['/', '/approvals/00000000-0000-0000-0000-000000000000', '/audit', '/agents', '/sign-in']) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).toBe(200);
      const html = await r.text();
      expect(html, path).toMatch(/<title>Airlock · approvals<\/title>/);
      expect(html, path).toMatch(/<script type="module" crossorigin src="\/console\/assets\/index-[\w-]+\.js"><\/script>/);
      expect(html.match(/<script\b[^>]*>[^<]/g), path).toBeNull();
      expect(html, path).not.toMatch(/ style=/);
    }
    const js = /src="(\/console\/assets\/[^"]+\.js)"/.exec(await (await fetch(base)).text())![1];
    const asset = await fetch(`${base}${js}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${base}/console/assets/nope.js`)).status).toBe(404);
  });
});
