// Everything `airlock serve` runs (wire proxy, HTTP API, console, MCP) on port 0 against a fresh
// database loaded with the demo's sample data, with reviewers and an agent: one per test file.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startAll, type Running } from '../../src/cli/serve.js';
import { DATABASE_URL, uniqueName } from './env.js';
import { dbUrl, testConfig, type TestGatewaySpec } from './gateway.js';

export const SAMPLE_SQL = readFileSync(new URL('../../demo/sample.sql', import.meta.url), 'utf8');
export const PASSWORD = 'correct horse battery staple';

export interface ConsoleServer {
  running: Running;
  database: string;
  /** http://127.0.0.1:PORT */
  base: string;
  agent: { name: string; token: string };
  /** postgresql://agent:token@127.0.0.1:PORT/db for psql */
  wireUrl: string;
  /** a plain client on the database, for checks */
  admin: pg.Client;
  close(): Promise<void>;
}

export async function startConsoleServer(
  spec: Omit<TestGatewaySpec, 'database'> & {
    reviewers?: { name: string; token: string }[];
    accounts?: { name: string; admin?: boolean }[];
  } = {},
): Promise<ConsoleServer> {
  const database = uniqueName('console');
  const root = new pg.Client({ connectionString: DATABASE_URL });
  await root.connect();
  await root.query(`CREATE DATABASE ${database}`);
  await root.end();
  const admin = new pg.Client({ connectionString: dbUrl(database) });
  await admin.connect();
  await admin.query(SAMPLE_SQL);
  const { config, opts } = testConfig({ ...spec, database });
  const running = await startAll(config, opts);
  const gw = running.gateway;
  for (const a of spec.accounts ?? [{ name: 'rita', admin: true }]) await gw.addReviewer(a.name, PASSWORD, { admin: a.admin, by: 'test' });
  const agentName = uniqueName('agent').replace(/_/g, '-');
  const { token } = await gw.createAgent(agentName, 'test');
  return {
    running,
    database,
    base: `http://127.0.0.1:${running.http.port}`,
    agent: { name: agentName, token },
    wireUrl: `postgresql://${agentName}:${encodeURIComponent(token)}@127.0.0.1:${running.wire.port}/${database}`,
    admin,
    async close() {
      await running.close();
      await admin.end();
      const r = new pg.Client({ connectionString: DATABASE_URL });
      await r.connect();
      await r.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await r.end();
    },
  };
}
