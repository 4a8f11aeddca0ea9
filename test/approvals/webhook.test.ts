// Webhook notifications against a real HTTP server on 127.0.0.1:0: payloads, signature,
// retries on 5xx and network errors, timeouts, and a caller that is never blocked.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Notifier, verifySignature, type ApprovalEvent } from '../../src/approvals/webhook.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
}
/** what the endpoint does with the n-th request (0-based) */
type Behaviour = (n: number, res: ServerResponse) => void;

const reply = (status: number) => (_n: number, res: ServerResponse) => res.writeHead(status).end('ok');

async function endpoint(behaviour: Behaviour): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body, path: req.url ?? '' });
      behaviour(received.length - 1, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/T000/B000/s3cr3tpath`, received, server };
}

const event = (over: Partial<ApprovalEvent['approval']> = {}): ApprovalEvent => ({
  type: 'approval.pending',
  approval: {
    id: 'apr_123',
    agent: 'billing-bot',
    database: 'shop',
    sql: "UPDATE orders SET status = 'x' WHERE id < 10 AND note <> '<b>'",
    preview: { available: true, affectedRows: 9, rows: [{ id: 1, status: 'x' }], truncated: false },
    reviewUrl: 'http://127.0.0.1:8080/approvals/apr_123',
    ...over,
  },
});

describe('webhook notifier', () => {
  const servers: Server[] = [];
  const notifiers: Notifier[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  const serve = async (b: Behaviour) => {
    const e = await endpoint(b);
    servers.push(e.server);
    return e;
  };
  const notifier = (...args: ConstructorParameters<typeof Notifier>) => {
    const n = new Notifier(args[0], { retryBaseMs: 20, ...args[1] });
    notifiers.push(n);
    return n;
  };

  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await Promise.all(notifiers.splice(0).map((n) => n.close()));
    for (const s of servers.splice(0)) s.closeAllConnections();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('posts the event as JSON with event, delivery and a verifiable signature', async () => {
    const { url, received } = await serve(reply(200));
    const n = notifier([{ url, secret: 'topsecret-key' }]);
    n.notify(event());
    await n.flush();
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-airlock-event']).toBe('approval.pending');
    expect(r.headers['x-airlock-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const expected = 'sha256=' + createHmac('sha256', 'topsecret-key').update(r.body).digest('hex');
    expect(r.headers['x-airlock-signature']).toBe(expected);
    expect(verifySignature(r.body, r.headers['x-airlock-signature'] as string, 'topsecret-key')).toBe(true);
    expect(verifySignature(r.body, r.headers['x-airlock-signature'] as string, 'other-key')).toBe(false);
    expect(verifySignature(r.body + ' ', r.headers['x-airlock-signature'] as string, 'topsecret-key')).toBe(false);
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ id: r.headers['x-airlock-delivery'], type: 'approval.pending', approval: event().approval });
    expect(Date.parse(body.occurredAt)).not.toBeNaN();
  });

  it('sends no signature header without a secret', async () => {
    const { url, received } = await serve(reply(204));
    const n = notifier([{ url }]);
    n.notify(event());
    await n.flush();
    expect(received[0].headers['x-airlock-signature']).toBeUndefined();
  });

  it('formats Slack messages: SQL code block, affected rows, review link', async () => {
    const { url, received } = await serve(reply(200));
    const n = notifier([{ url, format: 'slack', secret: 'k' }]);
    n.notify(event());
    n.notify({ ...event({ preview: { available: false, reason: 'preview unavailable: calls nextval' } }), type: 'approval.denied' });
    await n.flush();
    expect(received).toHaveLength(2);
    const pending = JSON.parse(received.find((r) => r.headers['x-airlock-event'] === 'approval.pending')!.body);
    expect(typeof pending.text).toBe('string');
    expect(pending.text).toContain('billing-bot');
    const texts: string[] = pending.blocks.map((b: { type: string; text: { type: string; text: string } }) => {
      expect(b.type).toBe('section');
      expect(b.text.type).toBe('mrkdwn');
      return b.text.text;
    });
    expect(texts[0]).toContain('Approval needed');
    expect(texts[1]).toBe("```UPDATE orders SET status = 'x' WHERE id &lt; 10 AND note &lt;&gt; '&lt;b&gt;'```");
    expect(texts[2]).toContain('*Affected rows:* 9');
    expect(texts[2]).toContain('<http://127.0.0.1:8080/approvals/apr_123|Review approval apr_123>');
    const denied = JSON.parse(received.find((r) => r.headers['x-airlock-event'] === 'approval.denied')!.body);
    expect(JSON.stringify(denied.blocks)).toContain('Preview unavailable');
  });

  it('accepts an event without a preview', async () => {
    const { url, received } = await serve(reply(200));
    const n = notifier([{ url, format: 'slack' }, { url }]);
    n.notify({ ...event({ preview: undefined, actor: 'alice', comment: 'ok <3' }), type: 'approval.approved' });
    await n.flush();
    expect(received).toHaveLength(2);
    const slack = received.map((r) => JSON.parse(r.body)).find((b) => b.blocks);
    expect(JSON.stringify(slack.blocks)).toContain('*Preview:* none');
    expect(JSON.stringify(slack.blocks)).toContain('by *alice*');
    expect(JSON.stringify(slack.blocks)).toContain('ok &lt;3');
  });

  it('retries a 500 and delivers on the next 200, with the same delivery id', async () => {
    const { url, received } = await serve((i, res) => reply(i === 0 ? 500 : 200)(i, res));
    const n = notifier([{ url, retries: 3 }]);
    n.notify(event());
    await n.flush();
    expect(received.map((r) => r.headers['x-airlock-delivery'])).toEqual([
      received[0].headers['x-airlock-delivery'],
      received[0].headers['x-airlock-delivery'],
    ]);
  });

  it('retries a dropped connection (network error)', async () => {
    const { url, received } = await serve((i, res) => (i === 0 ? res.socket?.destroy() : reply(200)(i, res)));
    const n = notifier([{ url, retries: 2 }]);
    n.notify(event());
    await n.flush();
    expect(received).toHaveLength(2);
  });

  it('does not retry a 4xx, and stops after `retries` on a 5xx', async () => {
    const bad = await serve(reply(400));
    const down = await serve(reply(503));
    const n = notifier([
      { url: bad.url, retries: 3 },
      { url: down.url, retries: 2 },
    ]);
    n.notify(event());
    await n.flush();
    expect(bad.received).toHaveLength(1);
    expect(down.received).toHaveLength(3);
  });

  it('times out a hanging endpoint without blocking or failing the caller', async () => {
    const { url, received } = await serve(() => {}); // never answers
    const n = notifier([{ url, timeoutMs: 200, retries: 1 }]);
    const t0 = performance.now();
    n.notify(event());
    const notifyMs = performance.now() - t0;
    expect(notifyMs).toBeLessThan(20);
    const t1 = Date.now();
    await n.flush();
    const flushMs = Date.now() - t1;
    expect(received).toHaveLength(2);
    expect(flushMs).toBeGreaterThanOrEqual(400);
    expect(flushMs).toBeLessThan(2000);
    console.info(`[measure] notify() returned in ${notifyMs.toFixed(2)} ms; 2 timed-out attempts settled in ${flushMs} ms`);
  });

  it('close() aborts a hanging delivery and pending retries quickly', async () => {
    const { url } = await serve(() => {});
    const n = new Notifier([{ url, timeoutMs: 10_000, retries: 5 }], { retryBaseMs: 10_000 });
    n.notify(event());
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await n.close();
    expect(Date.now() - t0).toBeLessThan(500);
    n.notify(event()); // after close: ignored, no throw
  });

  it('ignores a malformed event instead of throwing into the request path', async () => {
    const { url, received } = await serve(reply(200));
    const n = notifier([{ url }]);
    expect(() => n.notify({ type: 'approval.nope' } as unknown as ApprovalEvent)).not.toThrow();
    expect(() => n.notify(undefined as unknown as ApprovalEvent)).not.toThrow();
    await n.flush();
    expect(received).toHaveLength(0);
  });

  it('serializes bigint values in preview rows', async () => {
    const { url, received } = await serve(reply(200));
    const n = notifier([{ url }]);
    n.notify(event({ preview: { available: true, affectedRows: 1, rows: [{ id: 9007199254740993n }] } }));
    await n.flush();
    expect(JSON.parse(received[0].body).approval.preview.rows[0].id).toBe('9007199254740993');
  });

  it('rejects bad webhook config with an error naming the key', () => {
    expect(() => new Notifier([{ url: 'not a url' }])).toThrow(/approvals\.webhooks\.0\.url/);
    expect(() => new Notifier([{ url: 'ftp://example.com/x' }])).toThrow(/must be http\(s\)/);
    expect(() => new Notifier([{ url: 'http://x', format: 'teams' as 'json' }])).toThrow(/approvals\.webhooks\.0\.format/);
    expect(new Notifier([]).enabled).toBe(false);
  });

  it('never logs the secret or the secret part of the URL', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = pino({ level: 'debug' }, sink);
    const { url } = await serve((i, res) => reply(i === 0 ? 500 : 200)(i, res));
    const n = notifier([{ url, secret: 'hmac-key-do-not-log', retries: 1 }], { logger: log });
    n.notify(event());
    await n.flush();
    const all = lines.join('');
    expect(all).toContain('webhook delivered');
    expect(all).toContain('webhook delivery failed, retrying');
    expect(all).not.toContain('hmac-key-do-not-log');
    expect(all).not.toContain('s3cr3tpath');
    expect(all).not.toContain('sha256=');
  });
});
