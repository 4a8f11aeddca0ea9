// `airlock demo`: the whole product on the embedded default (SQLite store, in-process queue) against
// the local PostgreSQL, with sample data, a demo agent and reviewer, and copy-paste instructions.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { Command } from 'commander';
import { loadConfig, parseConfig } from '../config/load.js';
import { invalidParameterValue } from '../errors.js';
import { startAll, closeOnSignals } from './serve.js';

function sampleSql(): string {
  // src/cli/ under tsx, dist/src/cli/ when built
  for (const p of ['../../demo/sample.sql', '../../../demo/sample.sql'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)))) {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      /* try the next layout (src/ vs dist/src/) */
    }
  }
  throw new Error('demo/sample.sql not found');
}

/** Create the demo database if needed and load the sample tables. */
async function prepareDatabase(server: string, database: string): Promise<string> {
  // libpq's default when the URL names no user: PGUSER, USER, else the OS account (USER may be unset)
  const named = new URL(server);
  if (!named.username && !named.searchParams.get('user')) {
    named.username = encodeURIComponent(process.env.PGUSER || process.env.USER || userInfo().username);
  }
  const upstream = named.toString();
  const admin = new pg.Client({ connectionString: upstream });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(upstream);
  url.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sampleSql());
  } finally {
    await client.end();
  }
  return url.toString();
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run Airlock on the embedded default with sample data and print how to connect')
    .option('--upstream <url>', 'PostgreSQL server to use (default: DATABASE_URL or the local server)')
    .option('--database <name>', 'demo database to create', 'airlock_demo')
    .option('--store <url>', 'store URL', 'sqlite:.airlock/demo.sqlite')
    .option('--wire-port <port>', 'wire proxy port', '6432')
    .option('--http-port <port>', 'HTTP port', '8080')
    .action(async (flags: { upstream?: string; database: string; store: string; wirePort: string; httpPort: string }, cmd: Command) => {
      const wirePort = Number(flags.wirePort);
      const httpPort = Number(flags.httpPort);
      if (![wirePort, httpPort].every((p) => Number.isInteger(p) && p >= 0 && p < 65536))
        throw invalidParameterValue('ports must be numbers 0-65535');
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(flags.database)) throw invalidParameterValue('--database must be a plain identifier');
      const base = loadConfig({ file: cmd.optsWithGlobals().config });
      const server =
        flags.upstream ?? process.env.AIRLOCK_UPSTREAM_URL ?? process.env.DATABASE_URL ?? 'postgresql://127.0.0.1:5432/postgres';
      if (flags.store.startsWith('sqlite:.airlock/')) mkdirSync('.airlock', { recursive: true });
      const upstream = await prepareDatabase(server, flags.database);
      const reviewerToken = `rv_${randomBytes(18).toString('base64url')}`;
      const config = parseConfig({
        ...base,
        upstream: { ...base.upstream, url: upstream },
        store: { url: flags.store },
        wire: { ...base.wire, port: wirePort },
        http: { ...base.http, port: httpPort },
        reviewers: [...base.reviewers, { name: 'demo-reviewer', token: reviewerToken }],
      });
      const running = await startAll(config);
      closeOnSignals(running);
      const { agent, token } = await running.gateway.createAgent(`demo-agent-${randomBytes(3).toString('hex')}`, 'demo');
      // a console account, made afresh each run (the demo store is kept between runs)
      const reviewerPassword = randomBytes(12).toString('base64url');
      await running.gateway.removeReviewer('demo-reviewer', 'demo').catch(() => undefined);
      await running.gateway.addReviewer('demo-reviewer', reviewerPassword, { admin: true, by: 'demo' });
      const conn = `postgresql://${agent.name}:${token}@${config.wire.host}:${running.wire.port}/${flags.database}`;
      const http = `http://${config.http.host}:${running.http.port}`;
      const mcp = { mcpServers: { airlock: { url: `${http}/mcp`, headers: { Authorization: `Bearer ${token}` } } } };
      process.stdout.write(
        [
          'Airlock demo is running (store: ' + flags.store + ', queue: ' + (config.redis.url ? 'BullMQ' : 'in-process') + ').',
          '',
          'Connect as the demo agent with any PostgreSQL client:',
          `  psql "${conn}"`,
          '',
          'Try:',
          '  SELECT * FROM customers;                               -- auto: runs at once',
          "  UPDATE customers SET plan = 'pro' WHERE id = 3;        -- ask: held for review with a preview",
          '  DROP TABLE invoices;                                   -- block: refused with SQLSTATE 42501',
          '',
          `Review in the web console: ${http}/`,
          `  sign in as demo-reviewer, password ${reviewerPassword}`,
          `  HTTP API reviewer token: ${reviewerToken}`,
          `  or: npx airlock approvals list --store ${flags.store}`,
          `      npx airlock approvals approve <id> --as you --store ${flags.store}`,
          '',
          'MCP (Streamable HTTP) config for your agent:',
          `  ${JSON.stringify(mcp)}`,
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
    });
}
