// A fake third-party API on 127.0.0.1 (port 0) that records every request it receives, for the API
// proxy tests: what was sent, to which path, with which credential — and nothing else.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  /** the raw request target, exactly as it arrived (not normalised) */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeUpstream {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = (req.url ?? '').split('?')[0];
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (path === '/v1/slow') return void setTimeout(() => json(200, { late: true }), 3000);
      if (path === '/v1/boom') return json(500, { error: 'upstream exploded' });
      if (path === '/v1/huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const block = Buffer.alloc(1024 * 1024, 'x');
        let sent = 0;
        const more = () => {
          while (sent < 50) {
            sent++;
            if (!res.write(block)) return void res.once('drain', more);
          }
          res.end();
        };
        res.on('error', () => undefined);
        return more();
      }
      // echoes what it got, the Authorization header included: the proxy must scrub it
      return json(200, { method: req.method, path: req.url, authorization: req.headers.authorization ?? null, body });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The integration definition the tests serve, pointing at the fake upstream. */
export function fakepayYaml(baseUrl: string): string {
  return `name: fakepay
title: Fake payments API (tests)
baseUrl: ${baseUrl}
auth: { type: bearer, secret: fakepay_key }
idempotencyHeader: Idempotency-Key
timeoutMs: 1500
maxResponseBytes: 1048576
methods:
  list_customers:
    http: GET /v1/customers
    description: List customers
    tier: auto
    params: { type: object, additionalProperties: false, properties: { limit: { type: integer, minimum: 1, maximum: 100 } } }
  get_customer:
    http: GET /v1/customers/{id}
    description: One customer
    tier: auto
    params: { type: object, additionalProperties: false, required: [id], properties: { id: { type: string } } }
  create_refund:
    http: POST /v1/refunds
    description: Refund a charge
    tier: ask
    params:
      type: object
      additionalProperties: false
      required: [charge, amount]
      properties: { charge: { type: string }, amount: { type: integer, minimum: 1 }, reason: { type: string } }
    rules:
      - { when: "args.amount > 10000", tier: ask, approvals: 2, reason: "large refund: two reviewers" }
      - { when: "args.amount <= 50", tier: auto, reason: "small refund" }
  delete_customer:
    http: DELETE /v1/customers/{id}
    description: Delete a customer
    tier: block
    params: { type: object, required: [id], properties: { id: { type: string } } }
  echo:
    http: GET /v1/echo
    description: Echoes the request (and the credential)
    tier: auto
  slow:
    http: GET /v1/slow
    description: Answers after 3 s
    tier: auto
  boom:
    http: GET /v1/boom
    description: Answers 500
    tier: auto
  huge:
    http: GET /v1/huge
    description: Answers 50 MB
    tier: auto
`;
}
