// Issue 11, item 8: every HTTP answer — console pages and assets, reviewer API, MCP, errors — carries
// the security headers (no framing, a strict Content-Security-Policy, nosniff, no-referrer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleServer, type ConsoleServer } from '../helpers/console-server.js';

let server: ConsoleServer;

beforeAll(async () => {
  server = await startConsoleServer({ reviewers: [{ name: 'rita', token: 'rita-token-0123456789' }] });
});
afterAll(async () => server?.close());

async function asset(): Promise<string> {
  const html = await (await fetch(`${server.base}/`)).text();
  const m = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html);
  expect(m, html).not.toBeNull();
  return m![1];
}

describe('security headers', () => {
  it('are on every answer, whatever the route and status', async () => {
    const mcpInit = {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${server.agent.token}`,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    };
    const requests: [string, RequestInit | undefined][] = [
      ['/', undefined],
      ['/approvals', undefined],
      [await asset(), undefined],
      ['/healthz', undefined],
      ['/api/approvals', undefined],
      ['/api/approvals', { headers: { authorization: 'Bearer rita-token-0123456789' } }],
      ['/api/approvals/not-a-uuid', { headers: { authorization: 'Bearer rita-token-0123456789' } }],
      ['/mcp', { method: 'POST', body: '{}' }],
      ['/mcp', mcpInit],
      ['/nowhere', undefined],
    ];
    const statuses = new Set<number>();
    for (const [path, init] of requests) {
      const r = await fetch(`${server.base}${path}`, init);
      statuses.add(r.status);
      const h = r.headers;
      const where = `${init?.method ?? 'GET'} ${path} (${r.status})`;
      expect(h.get('x-frame-options'), where).toBe('DENY');
      expect(h.get('content-security-policy'), where).toContain("frame-ancestors 'none'");
      expect(h.get('content-security-policy'), where).toContain("default-src 'self'");
      expect(h.get('content-security-policy'), where).toContain("script-src 'self'");
      expect(h.get('x-content-type-options'), where).toBe('nosniff');
      expect(h.get('referrer-policy'), where).toBe('no-referrer');
      expect(h.get('x-powered-by'), where).toBeNull();
      await r.body?.cancel();
    }
    // the list covered successes, redirects or pages, client errors of several kinds
    expect([...statuses].some((s) => s >= 200 && s < 300)).toBe(true);
    expect(statuses.has(401)).toBe(true);
    expect(statuses.has(404)).toBe(true);
  });
});
