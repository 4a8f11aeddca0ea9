// Child process of bench/wire.ts: the real Gateway (policy + audit on SQLite) behind the wire proxy,
// in its own process so its memory and CPU are measured apart from the clients.
// Prints one JSON line {port, agent, token, pid}, then serves until killed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../src/config/schema.js';
import { Gateway } from '../src/gateway/gateway.js';
import { startWireServer } from '../src/wire/server.js';

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: wire-server.ts postgresql://user@host:port/db');
const dir = mkdtempSync(join(tmpdir(), 'airlock-wire-bench-'));
const config = configSchema.parse({
  upstream: { url: upstream, poolSize: Number(process.env.WIRE_BENCH_POOL ?? 20) },
  store: { url: `sqlite:${join(dir, 'store.sqlite')}` },
  wire: { port: 0 },
});
const gateway = await Gateway.open(config, { startWorkers: false });
if (process.env.WIRE_BENCH_AUDIT === 'off') {
  // diagnostic variant: classify every statement but skip the audit append, to split the costs
  gateway.decide = (req) => gateway.engine.decide(req.sql, { agent: req.agent.name, database: req.database });
  gateway.auditDecision = () => {};
}
const agent = `bench_${process.pid}`;
const { token } = await gateway.store.createAgent(agent);
const wire = await startWireServer({ gateway, config: { ...config.wire, poolSize: config.upstream.poolSize } });
process.stdout.write(JSON.stringify({ port: wire.port, agent, token, pid: process.pid }) + '\n');
const stop = async () => {
  await wire.close();
  await gateway.close();
  process.exit(0);
};
// SIGUSR2: collect garbage, then print memory, so the bench can measure memory per idle connection
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, clients: wire.stats().clients }) + '\n');
});
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
