// Cost of the per-agent limits: one rate check (admission) per request, counted in memory and in
// Redis, and the cut of a result to the agent's caps (per row), as `npm run bench -- limits` prints.
import { parseConfig } from '../src/config/load.js';
import { Limits, capResult } from '../src/gateway/limits.js';
import type { QueryResultData } from '../src/domain/request.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const quiet = { append: () => undefined };

async function admitCost(redisUrl: string | undefined, n: number): Promise<number> {
  const config = parseConfig({
    upstream: { url: 'postgresql://127.0.0.1:5432/test' },
    redis: redisUrl ? { url: redisUrl } : {},
    limits: { keyPrefix: `bench:limits:${process.pid}`, default: { requestsPerMinute: 1e9 } },
  });
  const limits = await Limits.open(config, quiet);
  const agent = { id: 'bench', name: 'bench' };
  for (let i = 0; i < 500; i++) await limits.admit(agent, 'wire');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await limits.admit(agent, 'wire');
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  await limits.close();
  return us;
}

function capCost(rows: number): number {
  const result: QueryResultData = {
    command: 'SELECT',
    rowCount: rows,
    fields: [{ name: 'id' }, { name: 'pad' }],
    rows: Array.from({ length: rows }, (_, i) => ({ id: i, pad: 'x'.repeat(100) })),
  } as unknown as QueryResultData;
  const caps = { maxRows: rows, maxResultBytes: 1e12, statementTimeoutMs: 1000, gated: false };
  for (let i = 0; i < 50; i++) capResult(result, caps, Infinity);
  const reps = 200;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) capResult(result, caps, Infinity);
  return Number(process.hrtime.bigint() - t0) / reps / rows;
}

export async function benchLimits(): Promise<Record<string, number>> {
  return {
    rate_check_memory_us: await admitCost(undefined, 20_000),
    rate_check_redis_us: await admitCost(REDIS_URL, 5_000),
    byte_cap_per_row_ns: capCost(10_000),
  };
}
