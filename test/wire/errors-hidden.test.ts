// Issue 11, item 9: an unreachable upstream gives the agent a stable code and a message with a
// request id — never the address, port or driver text (those go to the log under the same id).
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { startWireServer, type WireServer } from '../../src/wire/server.js';
import { openTestGateway } from '../helpers/gateway.js';
import { uniqueName } from '../helpers/env.js';

let gw: Gateway;
let server: WireServer;
let deadPort: number;

beforeAll(async () => {
  // a port that was just free: nothing listens there
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  gw = await openTestGateway({ database: 'test', extra: { upstream: { url: `postgresql://postgres@127.0.0.1:${deadPort}/test` } } });
  server = await startWireServer({ gateway: gw, config: { host: '127.0.0.1', port: 0, approvalWaitSeconds: 5, maxMessageBytes: 1 << 20 } });
});

afterAll(async () => {
  await server?.close();
  await gw?.close();
});

const leaks = (text: string) => new RegExp(`ECONNREFUSED|127\\.0\\.0\\.1|${deadPort}`).test(text);

describe('errors hide internals', () => {
  it('on the wire: 08006 with a request id, no address', async () => {
    const name = uniqueName('agent');
    const { token } = await gw.createAgent(name);
    const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: name, password: token, database: 'test' });
    c.on('error', () => undefined);
    const err = (await c.connect().then(
      () => null,
      (e: Error & { code?: string }) => e,
    )) as (Error & { code?: string }) | null;
    expect(err).not.toBeNull();
    expect(err!.code).toBe('08006');
    expect(err!.message).toMatch(/upstream database is unavailable.*request id [0-9a-f]{12}/);
    expect(leaks(err!.message)).toBe(false);
  });

  it('through the gateway port (MCP, API): the same stable error', async () => {
    const name = uniqueName('agent');
    const { agent } = await gw.createAgent(name);
    const out = await gw.query({ agent: { id: agent.id, name: agent.name }, door: 'mcp', database: 'test', sql: 'SELECT 1' }).then(
      (o) => (o.status === 'error' ? `${o.error.code}: ${o.error.message}` : `unexpected ${o.status}`),
      (e: Error & { code?: string }) => `${e.code}: ${e.message}`,
    );
    expect(out).toMatch(/08006|upstream database is unavailable/);
    expect(out).toMatch(/request id/);
    expect(leaks(out)).toBe(false);
  });
});
