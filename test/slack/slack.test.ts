// Slack approvals against everything `airlock serve` runs, with a fake Slack Web API on 127.0.0.1
// recording what the app sends: new approvals are posted with Approve/Deny buttons; signed
// interactivity payloads are checked — a bad signature, a user not on the list and a request
// replayed after 5 minutes change nothing; only the valid click approves, audited as its reviewer,
// and the message is updated with the outcome.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startConsoleServer, type ConsoleServer } from '../helpers/console-server.js';
import { jsonBody } from '../helpers/env.js';
import { slackSignature } from '../../src/slack/slack-verify.js';
import { SLACK_PATH } from '../../src/slack/slack-interactivity.js';

const SECRET = 'slack-signing-secret-for-tests';
const CHANNEL = 'C0AIRLOCK';
interface SlackCall {
  method: string;
  auth?: string;
  /** form fields; `blocks` parsed from its JSON */
  body: Record<string, string> & { blocks?: unknown };
  /** the ts the fake answered with */
  replyTs: string;
}
const calls: SlackCall[] = [];
let fake: Server;
let server: ConsoleServer;

beforeAll(async () => {
  let n = 0;
  fake = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(raw));
      const body: SlackCall['body'] = { ...form };
      if (typeof form.blocks === 'string') body.blocks = JSON.parse(form.blocks);
      const replyTs = form.ts ?? `1700000000.${String(++n).padStart(6, '0')}`;
      calls.push({ method: req.url!.replace('/api/', ''), auth: req.headers.authorization, body, replyTs });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, channel: form.channel, ts: replyTs }));
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  server = await startConsoleServer({
    extra: {
      slack: {
        botToken: 'xoxb-test-token',
        signingSecret: SECRET,
        channel: CHANNEL,
        users: { U0RITA: 'rita' },
        apiUrl: `http://127.0.0.1:${(fake.address() as AddressInfo).port}/api/`,
      },
    },
  });
});
afterAll(async () => {
  await server?.close();
  await new Promise((r) => fake?.close(r));
});

const gw = () => server.running.gateway;

async function hold(sql: string): Promise<string> {
  const agent = (await gw().listAgents()).find((a) => a.name === server.agent.name)!;
  const out = await gw().query({ agent: { id: agent.id, name: agent.name }, door: 'mcp', database: server.database, sql });
  if (out.status !== 'pending') throw new Error(`expected pending, got ${out.status}`);
  return out.approvalId;
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** POST a block_actions click the way Slack does: form-encoded payload, signed at `ts`. */
function click(opts: { approvalId: string; user: string; action?: string; secret?: string; ts?: number; ts_message?: string }) {
  const payload = {
    type: 'block_actions',
    user: { id: opts.user },
    actions: [{ action_id: opts.action ?? 'airlock_approve', value: opts.approvalId }],
    channel: { id: CHANNEL },
    container: { channel_id: CHANNEL, message_ts: opts.ts_message ?? '1700000000.000001' },
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': slackSignature(opts.secret ?? SECRET, ts, body),
  };
  const send = () => fetch(`${server.base}${SLACK_PATH}`, { method: 'POST', headers, body });
  return { send };
}

const texts = (c: SlackCall) => JSON.stringify(c.body.blocks ?? []);

describe('Slack approvals', () => {
  it('posts a new approval with the diff and Approve/Deny buttons', async () => {
    const id = await hold("UPDATE customers SET plan = 'pro' WHERE id = 3");
    const post = await until('chat.postMessage', () => calls.find((c) => c.method === 'chat.postMessage' && texts(c).includes(id)));
    expect(post.auth).toBe('Bearer xoxb-test-token');
    expect(post.body.channel).toBe(CHANNEL);
    expect(post.body.text).toMatch(
      new RegExp(`^Approval needed: ${server.agent.name} on ${server.database} ${server.base}/approvals/${id}$`),
    );
    const blocks = post.body.blocks as { type: string; elements?: { action_id?: string; value?: string; url?: string }[] }[];
    const buttons = blocks.find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => [b.action_id, b.value ?? b.url])).toEqual([
      ['airlock_approve', id],
      ['airlock_deny', id],
      ['airlock_open', `${server.base}/approvals/${id}`],
    ]);
    expect(texts(post)).toContain('plan: free → pro');
    expect(texts(post)).toContain("UPDATE customers SET plan = 'pro' WHERE id = 3");
  });

  it('only a valid click from a mapped user approves; bad signature, unknown user, old and replayed requests do not', async () => {
    const id = await hold("UPDATE customers SET plan = 'team' WHERE id = 5");
    const post = await until('post', () => calls.find((c) => c.method === 'chat.postMessage' && texts(c).includes(id)));
    const at = { approvalId: id, ts_message: post.replyTs };
    const pending = async () => expect((await gw().getApproval(id)).status).toBe('pending');

    const forged = await click({ ...at, user: 'U0RITA', secret: 'not-the-secret' }).send();
    expect(forged.status).toBe(401);
    expect((await jsonBody(forged)).error.message).toBe('Slack request refused: signature does not match');
    await pending();

    const stranger = await click({ ...at, user: 'U0MALLORY' }).send();
    expect(stranger.status).toBe(403);
    expect((await jsonBody(stranger)).error.message).toBe('Slack user U0MALLORY is not mapped to a reviewer (slack.users)');
    await pending();
    const told = await until('ephemeral', () => calls.find((c) => c.method === 'chat.postEphemeral' && c.body.user === 'U0MALLORY'));
    expect(told.body.text).toMatch(/^You cannot approve Airlock requests/);

    const old = await click({ ...at, user: 'U0RITA', ts: Math.floor(Date.now() / 1000) - 301 }).send();
    expect(old.status).toBe(401);
    expect((await jsonBody(old)).error.message).toMatch(
      /^Slack request refused: request timestamp is 30\d s away from now \(limit 300 s\)$/,
    );
    await pending();

    const valid = click({ ...at, user: 'U0RITA' });
    const ok = await valid.send();
    expect(ok.status).toBe(200);
    expect(await jsonBody(ok)).toEqual({ ok: true, reviewer: 'rita' });
    const replay = await valid.send();
    expect(replay.status).toBe(401);
    expect((await jsonBody(replay)).error.message).toBe('Slack request refused: replayed request (this signature was already used)');

    const done = await until('executed', async () =>
      (await gw().getApproval(id)).status === 'executed' ? gw().getApproval(id) : undefined,
    );
    expect(done.approvals.map((v) => [v.reviewer, v.comment])).toEqual([['rita', 'approved in Slack']]);
    expect((await server.admin.query('SELECT plan FROM customers WHERE id = 5')).rows[0].plan).toBe('team');

    // the message shows the outcome, without buttons, on the message the click came from
    const update = await until('chat.update executed', () =>
      calls.find((c) => c.method === 'chat.update' && texts(c).includes(id) && texts(c).includes('Executed')),
    );
    expect(update.body).toMatchObject({ channel: CHANNEL, ts: post.replyTs });
    expect(texts(update)).not.toContain('airlock_approve');
    expect(texts(update)).toContain('approved by *rita*');

    const audit = await gw().listAudit({ search: 'slack', limit: 50 });
    const summary = audit.map((e) => `${e.type}:${e.data.reason ?? e.data.reviewer}`);
    expect(summary).toEqual(
      expect.arrayContaining([
        'auth.ok:rita',
        'auth.failed:signature does not match',
        'auth.failed:Slack user U0MALLORY is not mapped to a reviewer (slack.users)',
        'auth.failed:replayed request (this signature was already used)',
      ]),
    );
    expect(audit.find((e) => e.type === 'auth.ok')).toMatchObject({ approval_id: id, data: { slackUser: 'U0RITA', action: 'approve' } });
    const approved = (await gw().listAudit({ approvalId: id, type: 'approval.approved' }))[0];
    expect(approved.data.reviewer).toBe('rita');
  });

  it('a valid Deny click denies as the reviewer; a click on a decided approval says so and changes nothing', async () => {
    const id = await hold("UPDATE invoices SET status = 'void' WHERE id = 106");
    await until('post', () => calls.find((c) => c.method === 'chat.postMessage' && texts(c).includes(id)));
    const deny = await click({ approvalId: id, user: 'U0RITA', action: 'airlock_deny' }).send();
    expect(deny.status).toBe(200);
    expect(await gw().getApproval(id)).toMatchObject({ status: 'denied', deniedBy: 'rita', comment: 'denied in Slack' });
    const late = await click({ approvalId: id, user: 'U0RITA', ts: Math.floor(Date.now() / 1000) + 1 }).send();
    expect(late.status).toBe(409);
    expect((await jsonBody(late)).error.message).toBe(`approval ${id} is denied, not pending: it cannot be approved`);
    expect((await gw().getApproval(id)).status).toBe('denied');
    const upd = await until('update denied', () =>
      calls.find((c) => c.method === 'chat.update' && texts(c).includes(id) && texts(c).includes('Denied')),
    );
    expect(texts(upd)).toContain('by *rita*: denied in Slack');
  });

  it('refuses requests without Slack headers or payload with clear 4xx JSON', async () => {
    const r = await fetch(`${server.base}${SLACK_PATH}`, { method: 'POST', body: 'payload={}' });
    expect(r.status).toBe(401);
    expect((await jsonBody(r)).error.message).toBe('Slack request refused: missing or malformed X-Slack-Request-Timestamp');
    const ts = Math.floor(Date.now() / 1000);
    const junk = await fetch(`${server.base}${SLACK_PATH}`, {
      method: 'POST',
      headers: { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': slackSignature(SECRET, ts, 'nonsense') },
      body: 'nonsense',
    });
    expect(junk.status).toBe(400);
    expect((await jsonBody(junk)).error.message).toBe('Slack request has no JSON payload');
  });
});
