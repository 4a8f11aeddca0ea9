// `airlock demo`: the whole product on the embedded default — an embedded PostgreSQL (PGlite) with
// sample data as the upstream, a SQLite store and an in-process queue under .airlock/ — with a demo
// agent and reviewer, and copy-paste instructions for every door. `--upstream URL` (or
// AIRLOCK_UPSTREAM_URL / DATABASE_URL) uses a real server instead; no other server is ever touched.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Command } from 'commander';
import { loadConfig, parseConfig } from '../config/load.js';
import { invalidParameterValue } from '../errors.js';
import { startAll, closeOnSignals, type Running } from './serve.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { prepareDemoDatabase } from './demo-database.js';
import { demoInstructions } from './demo-instructions.js';
import { airlockCommand, packageRoot } from './package-root.js';

const STATE_DIR = '.airlock';
const DEFAULT_STORE = `sqlite:${STATE_DIR}/demo.sqlite`;

interface DemoFlags {
  upstream?: string;
  database: string;
  store: string;
  wirePort: string;
  httpPort: string;
  fresh?: boolean;
}

const sampleSql = () => readFileSync(join(packageRoot(), 'demo', 'sample.sql'), 'utf8');

/** `preferred` when it can be bound on `host`, else 0 (any free port); 0 stays 0. */
async function portOrAny(preferred: number, host: string): Promise<number> {
  if (preferred === 0) return 0;
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(0));
    probe.listen(preferred, host, () => probe.close(() => done(preferred)));
  });
}

function parsePort(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw invalidParameterValue(`${flag} must be a port number (0-65535)`);
  return n;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run Airlock with an embedded PostgreSQL and sample data, and print how to connect')
    .option('--upstream <url>', 'use this PostgreSQL server instead of the embedded one (env AIRLOCK_UPSTREAM_URL, DATABASE_URL)')
    .option('--database <name>', 'the demo database (created on --upstream)', 'airlock_demo')
    .option('--store <url>', 'store URL', DEFAULT_STORE)
    .option('--wire-port <port>', 'wire proxy port (a free one when taken)', '6432')
    .option('--http-port <port>', 'HTTP port (a free one when taken)', '8080')
    .option('--fresh', `start over: delete the embedded database and the demo store under ${STATE_DIR}/`)
    .action(async (flags: DemoFlags, cmd: Command) => {
      const wanted = { wire: parsePort(flags.wirePort, '--wire-port'), http: parsePort(flags.httpPort, '--http-port') };
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(flags.database)) throw invalidParameterValue('--database must be a plain identifier');
      const base = loadConfig({ file: cmd.optsWithGlobals().config });
      const server = flags.upstream || process.env.AIRLOCK_UPSTREAM_URL || process.env.DATABASE_URL || undefined;
      if (flags.fresh) {
        rmSync(join(STATE_DIR, 'pgdata'), { recursive: true, force: true });
        if (flags.store === DEFAULT_STORE) rmSync(STATE_DIR, { recursive: true, force: true });
      }
      mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
      const notes: string[] = [];
      const host = base.wire.host;
      const ports = { wire: await portOrAny(wanted.wire, host), http: await portOrAny(wanted.http, base.http.host) };
      const embedded = server ? null : await startEmbeddedPostgres(resolve(STATE_DIR, 'pgdata'), flags.database, sampleSql);
      let running: Running | undefined;
      try {
        const upstream = embedded ? embedded.url : await prepareDemoDatabase(server!, flags.database, sampleSql());
        if (embedded) {
          notes.push(
            `embedded PostgreSQL (PGlite) in ${STATE_DIR}/pgdata${embedded.created ? ', sample data loaded' : ''}; --fresh starts over`,
          );
          notes.push('the embedded database runs as its only role, a superuser: a sandbox for trying Airlock, not a model for production');
        }
        const reviewerToken = `rv_${randomBytes(18).toString('base64url')}`;
        const storeUrl =
          flags.store.startsWith('sqlite:') && !flags.store.startsWith('sqlite::')
            ? `sqlite:${resolve(flags.store.slice(7))}`
            : flags.store;
        const config = parseConfig({
          ...base,
          upstream: { ...base.upstream, url: upstream, sharedBackend: embedded !== null },
          store: { url: storeUrl },
          wire: { ...base.wire, port: ports.wire },
          http: { ...base.http, port: ports.http },
          reviewers: [...base.reviewers, { name: 'demo-reviewer', token: reviewerToken }],
        });
        running = await startAll(config, { sandboxUpstream: embedded !== null });
        for (const [door, want, got] of [
          ['wire proxy', wanted.wire, running.wire.port],
          ['console and API', wanted.http, running.http.port],
        ] as const)
          if (want !== 0 && want !== got)
            notes.push(`port ${want} is taken; the ${door} listen${door === 'wire proxy' ? 's' : ''} on ${got}`);
        const { agent, token } = await running.gateway.createAgent(`demo-agent-${randomBytes(3).toString('hex')}`, 'demo');
        // a console account, made afresh each run (the demo store is kept between runs)
        const reviewerPassword = randomBytes(12).toString('base64url');
        await running.gateway.removeReviewer('demo-reviewer', 'demo').catch(() => undefined);
        await running.gateway.addReviewer('demo-reviewer', reviewerPassword, { admin: true, by: 'demo' });
        const http = `http://${config.http.host}:${running.http.port}`;
        // the settings other commands need (stdio MCP, approvals from a terminal): one file, no secrets but the upstream URL
        const configFile = resolve(STATE_DIR, 'airlock.yaml');
        writeFileSync(
          configFile,
          `# written by \`airlock demo\`: the demo's upstream and store, for \`airlock -c ${configFile} ...\`\n` +
            stringify({
              upstream: { url: upstream, sharedBackend: embedded !== null },
              store: { url: storeUrl },
              http: { host: config.http.host, port: running.http.port },
            }),
          { mode: 0o600 },
        );
        chmodSync(configFile, 0o600);
        const stop = embedded;
        const all = running;
        closeOnSignals({ ...all, close: async () => (await all.close(), await stop?.close()) });
        process.stdout.write(
          demoInstructions({
            psql: `postgresql://${agent.name}:${token}@${host}:${running.wire.port}/${flags.database}`,
            http,
            token,
            reviewerPassword,
            reviewerToken,
            store: flags.store,
            configFile,
            airlock: airlockCommand(),
            upstream: embedded ? 'embedded PostgreSQL (PGlite)' : upstream.replace(/\/\/[^@]*@/, '//***@'),
            notes,
          }),
        );
      } catch (err) {
        await running?.close();
        await embedded?.close();
        throw err;
      }
    });
}
