// The MCP Inspector CLI (`@modelcontextprotocol/inspector --cli`) drives Airlock through
// scripts/mcp-inspector-smoke.sh: list tools and call `query` over stdio and Streamable HTTP.
// The inspector is not a dependency (it wants Node >= 22); the script runs it with npx.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAll, type Running } from '../../src/cli/serve.js';
import { uniqueName } from '../helpers/env.js';
import { createTestEnv, type TestEnv } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = `${ROOT}scripts/mcp-inspector-smoke.sh`;

let env: TestEnv;
let running: Running;
let token: string;

describe('MCP Inspector CLI smoke script', () => {
  beforeAll(async () => {
    env = await createTestEnv();
    running = await startAll(env.config, { queueName: uniqueName('mcpinsp') });
    ({ token } = await running.gateway.store.createAgent('mcp-inspector-agent'));
  });

  afterAll(async () => {
    await running?.close();
    await env?.close();
  });

  it('lists the tools and runs query over stdio and Streamable HTTP', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'bash',
        [SCRIPT],
        {
          cwd: ROOT,
          timeout: 120_000,
          env: {
            ...process.env,
            MCP_INSPECTOR: process.env.MCP_INSPECTOR ?? '',
            AIRLOCK_AGENT_TOKEN: token,
            AIRLOCK_STORE_URL: env.storeUrl,
            AIRLOCK_UPSTREAM_URL: env.config.upstream.url,
            AIRLOCK_MCP_URL: `http://127.0.0.1:${running.http.port}/mcp`,
            AIRLOCK_CONFIG: '',
            REDIS_URL: '',
            AIRLOCK_LOG_LEVEL: 'silent',
          },
        },
        (err, out, errOut) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
      ),
    );
    // the inspector v1 CLI prints a deprecation banner on stderr, npx an engine warning; anything else there is a failure
    expect(stderr.replace(/[^\n]*(deprecated|Upgrade:|security fixes only|⚠️|npm warn)[^\n]*/g, '').trim()).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'ok  stdio tools/list',
      'ok  stdio tools/call query',
      'ok  http tools/list',
      'ok  http tools/call query',
    ]);
  }, 150_000);
});

describe('MCP Inspector CLI smoke script (inspector missing)', () => {
  it('exits 77 with a hint when MCP_INSPECTOR names a program that does not exist', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile('bash', [SCRIPT], { cwd: ROOT, env: { ...process.env, MCP_INSPECTOR: '/nonexistent/mcp-inspector' } }, (err, _o, e) =>
        resolve({ code: Number((err as { code?: number } | null)?.code ?? 0), stderr: e }),
      ),
    );
    expect(r.code).toBe(77);
    expect(r.stderr).toMatch(/unset MCP_INSPECTOR/);
  });
});
