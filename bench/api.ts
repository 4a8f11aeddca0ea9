// API proxy overhead: median ms per call of an auto method through `POST /v1/call/...` (token,
// argument schema, policy, request build, credential from the vault, scrubbing, audit) versus the
// same GET sent to the fake upstream directly. The fake upstream and the client each run in their
// own process, as in production; one keep-alive node:http client measures both paths.
// Target: <= 1 ms median overhead (AgentPort adds 10-20 ms).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../src/config/load.js';
import { startAll } from '../src/cli/serve.js';

const CALLS = Number(process.env.BENCH_API_CALLS ?? 2000);
const WARMUP = 300;

const UPSTREAM = `
const http = require('node:http');
const s = http.createServer((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"object":"list","data":[{"id":"cus_1","email":"a@example.com"}]}'); });
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

const CLIENT = `
const http = require('node:http');
const [direct, proxied, token, calls, warmup] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const send = (url, method, headers, body) => new Promise((resolve, reject) => {
  const req = http.request(url, { method, agent, headers }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', reject); req.end(body); });
const timed = async (fn) => {
  for (let i = 0; i < +warmup; i++) if ((await fn()) !== 200) throw new Error('bench call failed');
  const out = [];
  for (let i = 0; i < +calls; i++) { const t = process.hrtime.bigint(); await fn(); out.push(Number(process.hrtime.bigint() - t) / 1e6); }
  return out.sort((a, b) => a - b)[Math.floor(out.length / 2)];
};
(async () => {
  const body = JSON.stringify({ args: { limit: 10 } });
  const headers = { authorization: 'Bearer ' + token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  const d = await timed(() => send(direct, 'GET', { authorization: 'Bearer x' }));
  const p = await timed(() => send(proxied, 'POST', headers, body));
  console.log(JSON.stringify({ direct: d, proxied: p }));
})().catch((e) => { console.error(e); process.exit(1); });`;

/** A node child running `code`; resolves with the first line it prints. */
function child(code: string, args: string[] = []): { proc: ChildProcess; firstLine: Promise<string> } {
  const proc = spawn(process.execPath, ['-e', code, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    proc.once('exit', (code) => (code ? reject(new Error(`bench child exited with ${code}`)) : resolve(out.trim())));
  });
  return { proc, firstLine };
}

export async function benchApi(): Promise<Record<string, number | string>> {
  const upstream = child(UPSTREAM);
  const upstreamUrl = `http://127.0.0.1:${await upstream.firstLine}`;
  const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-api-'));
  mkdirSync(join(dir, 'integrations'));
  writeFileSync(
    join(dir, 'integrations', 'benchpay.yaml'),
    `name: benchpay\nbaseUrl: ${upstreamUrl}\nauth: { type: bearer, secret: benchpay_key }\nmethods:\n  list_customers:\n    http: GET /v1/customers\n    tier: auto\n    params: { type: object, additionalProperties: false, properties: { limit: { type: integer, maximum: 100 } } }\n`,
  );
  process.env.AIRLOCK_MASTER_KEY ??= randomBytes(32).toString('base64');
  const config = parseConfig({
    store: { url: `sqlite:${join(dir, 'store.sqlite')}` },
    upstream: { url: process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/test' },
    wire: { port: 0 },
    http: { port: 0 },
    integrations: { enable: [], dirs: [join(dir, 'integrations')] },
  });
  const running = await startAll(config);
  try {
    await running.gateway.setSecret('benchpay_key', `sk_bench_${randomBytes(12).toString('hex')}`, 'bench');
    const { token } = await running.gateway.createAgent('bench-api-agent', 'bench');
    const proxiedUrl = `http://127.0.0.1:${running.http.port}/v1/call/benchpay/list_customers`;
    const client = child(CLIENT, [`${upstreamUrl}/v1/customers?limit=10`, proxiedUrl, token, String(CALLS), String(WARMUP)]);
    const { direct, proxied } = JSON.parse(await client.firstLine) as { direct: number; proxied: number };
    const overhead = proxied - direct;
    return {
      'calls per path': CALLS,
      'direct to the upstream, median ms': direct,
      'through /v1/call, median ms': proxied,
      'overhead per call, median ms': overhead,
      'target <= 1 ms overhead': overhead <= 1 ? 'met' : 'NOT met',
    };
  } finally {
    await running.close();
    upstream.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
