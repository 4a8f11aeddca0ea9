// Issue 11, item 6: `airlock agents revoke` (another process) ends the agent's live wire sessions and
// MCP sessions within about a second, and its open approvals never execute.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createAgentWithCli, runCli } from '../helpers/cli.js';
import { uniqueName } from '../helpers/env.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { createDatabase, directUrlFor, dropDatabase, psqlDirect } from './helpers/proxy.js';

let dir: string;
let database: string;
let serve: ServeProcess;
let storeUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-revoke-'));
  storeUrl = `sqlite:${join(dir, 'store.sqlite')}`;
  database = await createDatabase('revoke');
  psqlDirect(database, ['-c', 'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, $$a$$)']);
  expect((await runCli(['migrate', '--store', storeUrl])).code).toBe(0);
  serve = await startServe({
    upstream: { url: directUrlFor(database) },
    store: { url: storeUrl },
    reviewers: [{ name: 'rita', token: 'rita-token-0123456789' }],
  });
});

afterAll(async () => {
  await serve?.stop();
  if (database) await dropDatabase(database);
  rmSync(dir, { recursive: true, force: true });
});

const agent = () => createAgentWithCli(storeUrl, uniqueName('agent'));

describe('revocation', () => {
  it('ends wire and MCP sessions within about a second; the agent’s open approvals never execute', async () => {
    const a = await agent();
    const other = await agent();
    const wire = new pg.Client({ host: '127.0.0.1', port: serve.wirePort, user: a.name, password: a.token, database });
    const ended = new Promise<Error>((resolve) => wire.on('error', resolve));
    await wire.connect();
    const bystander = new pg.Client({ host: '127.0.0.1', port: serve.wirePort, user: other.name, password: other.token, database });
    await bystander.connect();
    const mcp = new Client({ name: 'revoke-test', version: '1' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${serve.httpPort}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${a.token}` } },
      }),
    );
    expect((await wire.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    const held = (await mcp.callTool({ name: 'query', arguments: { sql: "UPDATE t SET v = 'changed' WHERE id = 1" } })) as unknown as {
      structuredContent: { status: string; approval_id: string };
    };
    expect(held.structuredContent.status).toBe('pending');

    const revokedAt = Date.now();
    expect((await runCli(['agents', 'revoke', a.name, '--store', storeUrl])).code).toBe(0);
    const err = await Promise.race([ended, sleep(3000).then(() => null)]);
    expect(err, 'the wire session was not closed').not.toBeNull();
    expect(Date.now() - revokedAt).toBeLessThan(3000);
    await expect(wire.query('SELECT 1')).rejects.toThrow();
    const after = await mcp.callTool({ name: 'query', arguments: { sql: 'SELECT 1' } }).then(
      (r) => (r as { isError?: boolean }).isError === true,
      () => true,
    );
    expect(after, 'the MCP session still answers').toBe(true);
    // another agent is untouched
    expect((await bystander.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await bystander.end();

    // the held UPDATE was closed with the revocation: approving it changes nothing
    const approve = await runCli(['approvals', 'approve', held.structuredContent.approval_id, '--as', 'rita', '--store', storeUrl]);
    expect(approve.code).toBe(1);
    const show = await runCli(['approvals', 'show', held.structuredContent.approval_id, '--json', '--store', storeUrl]);
    expect(JSON.parse(show.stdout)).toMatchObject({ status: 'denied', deniedBy: 'airlock', comment: 'the agent was revoked' });
    expect(psqlDirect(database, ['-At', '-c', 'SELECT v FROM t WHERE id = 1']).trim()).toBe('a');
    await mcp.close().catch(() => undefined);
  }, 60_000);
});
