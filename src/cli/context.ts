// Shared plumbing for CLI commands: config from --config + env + flags, and a gateway to act through.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadConfig, type LoadOptions } from '../config/load.js';
import type { AirlockConfig } from '../config/schema.js';
import type { Gateway } from '../gateway/gateway.js';
import type { AdminGateway } from '../gateway/admin-gateway.js';

export interface CommonFlags {
  store?: string;
  upstream?: string;
  redis?: string;
  json?: boolean;
}

export function configFor(cmd: Command, flags: CommonFlags, extra: LoadOptions['overrides'] = {}): AirlockConfig {
  return loadConfig({
    file: cmd.optsWithGlobals().config,
    overrides: { store: flags.store, upstream: flags.upstream, redis: flags.redis, ...extra },
  });
}

/** A gateway for one CLI action (no queue workers of its own); always closed afterwards. */
export async function withGateway<T>(cmd: Command, flags: CommonFlags, fn: (gw: Gateway) => Promise<T>): Promise<T> {
  // loaded on demand: the full gateway (parser, pools, queue) is for the commands that need it
  const { Gateway } = await import('../gateway/gateway.js');
  const gw = await Gateway.open(configFor(cmd, flags), { startWorkers: false });
  try {
    return await fn(gw);
  } finally {
    await gw.close();
  }
}

/** The light admin gateway for one CLI action (store and audit only); always closed afterwards. */
export async function withAdmin<T>(cmd: Command, flags: CommonFlags, fn: (gw: AdminGateway) => Promise<T>): Promise<T> {
  const { openAdminGateway } = await import('../gateway/admin-gateway.js');
  const gw = await openAdminGateway(configFor(cmd, flags));
  try {
    return await fn(gw);
  } finally {
    await gw.close();
  }
}

/** Who runs the command, for the audit trail of administrative actions. */
export const safeUser = (): string => {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
};

export const storeOption = ['--store <url>', 'store URL (sqlite:PATH or postgresql://...); env AIRLOCK_STORE_URL'] as const;

/** One line on stdout. */
export const out = (text: string): void => void process.stdout.write(`${text}\n`);

/** A listing: one JSON object per line with --json, else the rendered lines or `empty`. */
export function printList<T>(rows: readonly T[], json: boolean | undefined, render: (r: T) => string, empty: string): void {
  if (json) for (const r of rows) out(JSON.stringify(r));
  else out(rows.length ? rows.map(render).join('\n') : empty);
}
