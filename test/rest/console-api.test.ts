// The console's HTTP side over a real socket, without a browser: cookie attributes (Secure behind
// an https public URL), CSRF and origin checks, sign-in throttling and its audit, sign-out, admin-only
// agent management with connection help, live events, and the audit export.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createFixtureDb, type FixtureDb } from '../approvals/preview-db.js';
import { openTestGateway } from '../helpers/gateway.js';
import { jsonBody } from '../helpers/env.js';
import { startHttpServer, type HttpServer } from '../../src/rest/http-server.js';
import type { Gateway } from '../../src/gateway/gateway.js';

const PW = 'correct horse battery staple';
let db: FixtureDb;
let gw: Gateway;
let http: HttpServer;
let base: string;

beforeAll(async () => {
  db = await createFixtureDb('capi');
  gw = await openTestGateway({
    database: db.name,
    extra: { http: { port: 0, publicUrl: 'https://airlock.example' }, console: { signInMaxFailures: 3 } },
  });
  http = await startHttpServer(gw, { host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${http.port}`;
  await gw.addReviewer('rita', PW, { admin: true });
  await gw.addReviewer('sam', PW);
  await gw.addReviewer('tess', PW);
});
afterAll(async () => {
  await http?.close();
  await gw?.close();
  await db?.drop();
});

interface Signed {
  cookie: string;
  csrf: string;
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/console/api${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function signIn(name: string): Promise<Signed> {
  const r = await post('/sign-in', { name, password: PW });
  expect(r.status).toBe(200);
  const cookie = r.headers.get('set-cookie')!.split(';')[0];
  return { cookie, csrf: (await jsonBody(r)).session.csrf };
}

const as = (s: Signed, csrf = true) => ({ cookie: s.cookie, ...(csrf ? { 'x-csrf-token': s.csrf } : {}) });

describe('console sessions', () => {
  it('sets an HttpOnly, SameSite=Strict, Secure (https public URL) session cookie and answers who is signed in', async () => {
    const r = await post('/sign-in', { name: 'rita', password: PW });
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^airlock_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    const who = await jsonBody(await fetch(`${base}/console/api/session`, { headers: { cookie: cookie.split(';')[0] } }));
    expect(who.session).toMatchObject({ reviewer: 'rita', admin: true });
    expect(who.settings.denyReasons.length).toBeGreaterThan(0);
    const none = await fetch(`${base}/console/api/session`);
    expect(none.status).toBe(401);
    expect((await jsonBody(none)).error).toEqual({
      code: '28000',
      message: 'your session has expired or you were signed out: sign in again',
    });
  });

  it('refuses sign-in from a form post or another origin', async () => {
    const form = await fetch(`${base}/console/api/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `name=rita&password=${encodeURIComponent(PW)}`,
    });
    expect(form.status).toBe(415);
    const evil = await post('/sign-in', { name: 'rita', password: PW }, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect((await jsonBody(evil)).error.message).toMatch(/cross-origin request refused/);
  });

  it('throttles failed sign-ins per name (even the right password) and audits each, throttled ones too', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await post('/sign-in', { name: 'tess', password: `wrong ${i} password` });
      expect(r.status).toBe(401);
      expect((await jsonBody(r)).error).toEqual({ code: '28P01', message: 'wrong name or password' });
    }
    const locked = await post('/sign-in', { name: 'tess', password: PW });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect((await jsonBody(locked)).error.message).toMatch(/^too many failed sign-ins: try again in \d+ s$/);
    expect((await post('/sign-in', { name: 'sam', password: PW })).status).toBe(200);
    const events = await gw.listAudit({ type: 'auth.failed', search: 'tess', limit: 50 });
    expect(events.map((e) => e.data.reason).sort()).toEqual(['throttled', ...Array(3).fill('wrong name or password')]);
    expect(events.every((e) => e.door === 'rest' && e.data.remote === '127.0.0.1' && !JSON.stringify(e.data).includes('wrong 0'))).toBe(
      true,
    );
  });

  it('counts parallel guesses: no more than the limit are ever checked', async () => {
    await gw.addReviewer('una', PW);
    const codes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post('/sign-in', { name: 'una', password: `guess ${i} guess` }).then((r) => r.status)),
    );
    expect(codes.sort()).toEqual([...Array(3).fill(401), ...Array(7).fill(429)]);
  });

  it('needs the CSRF token on every state change; signing out ends the session for good', async () => {
    const s = await signIn('sam');
    const noToken = await post('/sign-out', {}, as(s, false));
    expect(noToken.status).toBe(403);
    expect((await jsonBody(noToken)).error.message).toBe('missing CSRF token: reload the page and try again');
    const out = await post('/sign-out', {}, as(s));
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^airlock_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/);
    expect((await fetch(`${base}/console/api/approvals`, { headers: { cookie: s.cookie } })).status).toBe(401);
    expect((await gw.listAudit({ type: 'reviewer.signed-out', limit: 5 }))[0].data.reviewer).toBe('sam');
  });

  it('ends the sessions of a removed reviewer', async () => {
    await gw.addReviewer('temp', PW);
    const s = await signIn('temp');
    await gw.removeReviewer('temp', 'test');
    expect((await fetch(`${base}/console/api/session`, { headers: { cookie: s.cookie } })).status).toBe(401);
  });
});

describe('console data', () => {
  it('lets only admins create and revoke agents; the token comes once with an MCP config', async () => {
    const sam = await signIn('sam');
    const refused = await post('/agents', { name: 'nope' }, as(sam));
    expect(refused.status).toBe(403);
    expect((await jsonBody(refused)).error.message).toMatch(/only admins/);
    const rita = await signIn('rita');
    const r = await post('/agents', { name: 'report-bot' }, as(rita));
    expect(r.status).toBe(201);
    const created = await jsonBody(r);
    expect(created.token).toMatch(/^al_/);
    expect(created.connect.mcp).toEqual({
      mcpServers: { airlock: { url: 'https://airlock.example/mcp', headers: { Authorization: `Bearer ${created.token}` } } },
    });
    expect(await gw.authenticateToken(created.token, 'mcp')).toMatchObject({ name: 'report-bot' });
    const list = await jsonBody(await fetch(`${base}/console/api/agents`, { headers: as(rita) }));
    expect(JSON.stringify(list)).not.toContain(created.token);
    expect((await post('/agents/report-bot/revoke', {}, as(rita))).status).toBe(200);
    expect(await gw.authenticateToken(created.token, 'mcp')).toBeNull();
    expect((await post('/agents/no-such-agent/revoke', {}, as(rita))).status).toBe(404);
    const audit = await gw.listAudit({ agent: 'report-bot', limit: 10 });
    expect(audit.map((e) => `${e.type}:${e.data.by}`).sort()).toEqual(['agent.created:rita', 'agent.revoked:rita']);
  });

  it('streams approval changes as server-sent events', async () => {
    const rita = await signIn('rita');
    const ctrl = new AbortController();
    const res = await fetch(`${base}/console/api/events`, { headers: { cookie: rita.cookie }, signal: ctrl.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const { agent } = await gw.createAgent('sse-bot');
    const out = await gw.query({
      agent: { id: agent.id, name: agent.name },
      door: 'mcp',
      database: db.name,
      sql: 'UPDATE orders SET total = 5 WHERE id = 1',
    });
    if (out.status !== 'pending') throw new Error('expected pending');
    let text = '';
    const deadline = Date.now() + 5000;
    while (!text.includes(out.approvalId) && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(new RegExp(`event: approval\\ndata: \\{"id":"${out.approvalId}","status":"pending"\\}`));
    ctrl.abort();
    const view = await jsonBody(await fetch(`${base}/console/api/approvals/${out.approvalId}`, { headers: as(rita) }));
    expect(view.approval.binding).toBeUndefined();
    expect(view.approval.facts).toMatchObject({ risk: 'low', target: { kind: 'database', name: db.name }, changed: [['total']] });
    expect(view.history.map((e: { type: string }) => e.type)).toEqual(['approval.created']);
  });

  it('exports the filtered audit trail as a JSON-lines download', async () => {
    const rita = await signIn('rita');
    const r = await fetch(`${base}/console/api/audit/export?door=rest`, { headers: as(rita) });
    expect(r.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="airlock-audit-[\d-]+T[\d-]+Z\.jsonl"$/);
    const lines = (await r.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.every((l) => l.door === 'rest')).toBe(true);
    const bad = await fetch(`${base}/console/api/audit?door=moon`, { headers: as(rita) });
    expect(bad.status).toBe(400);
    expect((await jsonBody(bad)).error.message).toMatch(/^invalid query: door:/);
  });
});
