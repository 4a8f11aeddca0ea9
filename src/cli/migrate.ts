// `airlock migrate`: apply the store's pending migrations (they also run at every start).
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { migrateStore } from '../gateway/admin-gateway.js';
import { redactUrl } from '../domain/redact-url.js';

export function register(program: Command): void {
  program
    .command('migrate')
    .description('apply pending store migrations (SQLite or PostgreSQL)')
    .option('--store <url>', 'store URL: sqlite:PATH or postgresql://... (env AIRLOCK_STORE_URL)')
    .option('--json', 'print {"store", "applied"} as JSON')
    .action(async (opts: { store?: string; json?: boolean }, cmd: Command) => {
      const config = loadConfig({ file: cmd.optsWithGlobals().config, overrides: { store: opts.store } });
      const applied = await migrateStore(config);
      const where = redactUrl(config.store.url);
      if (opts.json) process.stdout.write(`${JSON.stringify({ store: where, applied })}\n`);
      else if (applied.length) process.stdout.write(`${where}: applied migration(s) ${applied.join(', ')}\n`);
      else process.stdout.write(`${where}: up to date\n`);
    });
}
