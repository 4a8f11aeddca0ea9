// Issue 11, item 7: failed authentication is throttled on every door (wire SCRAM, MCP bearer tokens,
// reviewer tokens), per name and per address, answered with 53400 / 429 + Retry-After, and audited.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentWithCli, runCli } from '../helpers/cli.js';
import { uniqueName } from '../helpers/env.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { createDatabase, directUrlFor, dropDatabase } from './helpers/proxy.js';

let dir: string;
let database: string;
let serve: ServeProcess;
let storeUrl: string;
const PER_NAME = 4;
const PER_ADDRESS = 30;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-throttle-'));
  storeUrl = `sqlite:${join(dir, 'store.sqlite')}`;
  database = await createDatabase('throttle');
  expect((await runCli(['migrate', '--store', storeUrl])).code).toBe(0);
  serve = await startServe({
    upstream: { url: directUrlFor(database) },
    store: { url: storeUrl },
    reviewers: [{ name: 'rita', token: 'rita-token-0123456789' }],
    auth: { maxFailures: PER_NAME, maxFailuresPerAddress: PER_ADDRESS, windowSeconds: 60 },
  });
});

afterAll(async () => {
  await serve?.stop();
  if (database) await dropDatabase(database);
  rmSync(dir, { recursive: true, force: true });
});

const agent = () => createAgentWithCli(storeUrl, uniqueName('agent'));

async function wireLogin(user: string, password: string): Promise<string> {
  const c = new pg.Client({ host: '127.0.0.1', port: serve.wirePort, user, password, database });
  try {
    await c.connect();
    await c.end();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

async function auditEvents(type: string): Promise<Array<{ door: string; agent: string | null; data: Record<string, unknown> }>> {
  const r = await runCli(['audit', 'list', '--json', '--type', type, '--store', storeUrl]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('authentication throttling', () => {
  it('locks an agent name on the wire after repeated wrong passwords, even for the right one; other agents log in', async () => {
    const victim = await agent();
    const other = await agent();
    const codes: string[] = [];
    for (let i = 0; i < PER_NAME + 3; i++) codes.push(await wireLogin(victim.name, `wrong-${i}`));
    expect(codes.slice(0, PER_NAME)).toEqual(Array(PER_NAME).fill('28P01'));
    expect(codes.slice(PER_NAME)).toEqual(Array(3).fill('53400'));
    // the right password does not get through a locked name: guessing cannot be told from success
    expect(await wireLogin(victim.name, victim.token)).toBe('53400');
    expect(await wireLogin(other.name, other.token)).toBe('ok');
    await new Promise((r) => setTimeout(r, 500)); // the audit is written in batches
    const throttled = (await auditEvents('auth.failed')).filter((e) => e.data.reason === 'throttled' && e.agent === victim.name);
    expect(throttled.length).toBe(4);
    expect(throttled[0].door).toBe('wire');
    expect(throttled[0].data.retryAfterSeconds).toBeGreaterThan(0);
  }, 60_000);

  it('answers wrong MCP and reviewer bearer tokens 401, then 429 with Retry-After once the address is locked', async () => {
    const base = `http://127.0.0.1:${serve.httpPort}`;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < PER_ADDRESS + 2 && !retryAfter; i++) {
      const r =
        i % 2 === 0
          ? await fetch(`${base}/mcp`, {
              method: 'POST',
              headers: {
                authorization: `Bearer wrong-${i}`,
                'content-type': 'application/json',
                accept: 'application/json, text/event-stream',
              },
              body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
            })
          : await fetch(`${base}/api/approvals`, { headers: { authorization: `Bearer wrong-${i}` } });
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('53400');
      } else await r.body?.cancel();
    }
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(5);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // while the address is locked even the right reviewer token waits
    const right = await fetch(`${base}/api/approvals`, { headers: { authorization: 'Bearer rita-token-0123456789' } });
    expect(right.status).toBe(429);
    await new Promise((r) => setTimeout(r, 500));
    const failed = await auditEvents('auth.failed');
    expect(failed.some((e) => e.door === 'rest' && e.data.via === 'reviewer token')).toBe(true);
    expect(failed.some((e) => e.door === 'mcp' && e.data.reason === 'unknown or revoked token')).toBe(true);
    expect(failed.some((e) => e.data.reason === 'throttled' && e.door !== 'wire')).toBe(true);
  }, 60_000);
});
