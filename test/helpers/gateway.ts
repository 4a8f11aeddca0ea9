// A real gateway for tests: fixture database upstream, own store (temp SQLite file or PG schema),
// own queue name. Nothing is mocked.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { AirlockConfig } from '../../src/config/schema.js';
import { Gateway, type GatewayOptions } from '../../src/gateway/gateway.js';
import { DATABASE_URL, REDIS_URL, uniqueName } from './env.js';

export function dbUrl(database: string): string {
  const u = new URL(DATABASE_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestGatewaySpec {
  database: string;
  store?: 'sqlite' | 'postgres';
  redis?: boolean | string;
  approvals?: Record<string, unknown>;
  policy?: Record<string, unknown>;
  reviewers?: { name: string; token: string }[];
  extra?: Record<string, unknown>;
}

/** The config a test gateway runs with, plus the names that make it private to the test. */
export function testConfig(spec: TestGatewaySpec): { config: AirlockConfig; opts: GatewayOptions } {
  const storeSchema = spec.store === 'postgres' ? uniqueName('store') : undefined;
  const storeUrl = spec.store === 'postgres' ? DATABASE_URL : `sqlite:${join(mkdtempSync(join(tmpdir(), 'airlock-')), 'store.sqlite')}`;
  const redisUrl = spec.redis === true ? REDIS_URL : typeof spec.redis === 'string' ? spec.redis : undefined;
  const config = parseConfig({
    upstream: { url: dbUrl(spec.database), statementTimeoutMs: 15_000, poolSize: 5 },
    store: { url: storeUrl },
    redis: redisUrl ? { url: redisUrl } : {},
    wire: { port: 0 },
    http: { port: 0 },
    reviewers: spec.reviewers ?? [],
    approvals: spec.approvals ?? {},
    policy: spec.policy ?? {},
    ...spec.extra,
  });
  return { config, opts: { queueName: uniqueName('q'), storeSchema } };
}

export async function openTestGateway(spec: TestGatewaySpec): Promise<Gateway> {
  const { config, opts } = testConfig(spec);
  return Gateway.open(config, opts);
}
