// `airlock agents create|list|revoke`: the identities agents connect with (token shown once).
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { AuditLog } from '../audit/audit-log.js';
import { undefinedObject } from '../errors.js';
import { openConfiguredStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { AgentRecord } from '../domain/agent.js';

interface StoreOpts {
  store?: string;
  json?: boolean;
}

/** Open the configured store, run fn, always close. */
async function withStore(cmd: Command, opts: StoreOpts, fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openConfiguredStore({ configFile: cmd.optsWithGlobals().config, storeUrl: opts.store });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** Record an administrative action in the audit trail before the command exits. */
async function audit(store: Store, type: 'agent.created' | 'agent.revoked', agent: AgentRecord): Promise<void> {
  const log = AuditLog.inThread(store);
  log.append({ type, agent: agent.name, door: 'cli', data: { agentId: agent.id, by: safeUser() } });
  await log.flush();
  await log.close();
}

const safeUser = (): string => {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
};

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

export function register(program: Command): void {
  const agents = program.command('agents').description('create, list and revoke agent identities');
  const storeOption = ['--store <url>', 'store URL: sqlite:PATH or postgresql://... (env AIRLOCK_STORE_URL)'] as const;

  agents
    .command('create')
    .description('create an agent and print its token (shown only this once)')
    .argument('<name>', 'agent name (also the wire user name)')
    .option(...storeOption)
    .option('--json', 'print {"id", "name", "token", "createdAt"}')
    .action(async (name: string, opts: StoreOpts, cmd: Command) =>
      withStore(cmd, opts, async (store) => {
        const { agent, token } = await store.createAgent(name);
        await audit(store, 'agent.created', agent);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ id: agent.id, name: agent.name, token, createdAt: agent.createdAt })}\n`);
        } else {
          process.stdout.write(`created agent ${agent.name}\n  id:    ${agent.id}\n  token: ${token}\n`);
          process.stderr.write('the token is shown only once: store it now (only its hash is kept)\n');
        }
      }),
    );

  agents
    .command('list')
    .description('list agents (JSON lines with --json)')
    .option(...storeOption)
    .option('--json', 'one JSON object per line')
    .action(async (opts: StoreOpts, cmd: Command) =>
      withStore(cmd, opts, async (store) => {
        const list = await store.listAgents();
        if (opts.json) {
          process.stdout.write(list.map((a) => `${JSON.stringify(a)}\n`).join(''));
          return;
        }
        if (!list.length) process.stdout.write('no agents\n');
        const width = Math.max(4, ...list.map((a) => a.name.length));
        for (const a of list) {
          const state = a.revokedAt === null ? 'active' : `revoked ${iso(a.revokedAt)}`;
          process.stdout.write(`${a.name.padEnd(width)}  ${a.id}  created ${iso(a.createdAt)}  ${state}\n`);
        }
      }),
    );

  agents
    .command('revoke')
    .description('revoke an agent: its token stops working (MCP over HTTP: within mcp.tokenCacheMs, 1 s by default)')
    .argument('<name>', 'agent name')
    .option(...storeOption)
    .option('--json', 'print the revoked agent as JSON')
    .action(async (name: string, opts: StoreOpts, cmd: Command) =>
      withStore(cmd, opts, async (store) => {
        const before = await store.findAgentByName(name);
        if (!before) throw undefinedObject(`no agent named "${name}"`);
        const agent = (await store.revokeAgent(name))!;
        if (before.revokedAt === null) await audit(store, 'agent.revoked', agent);
        if (opts.json) process.stdout.write(`${JSON.stringify(agent)}\n`);
        else process.stdout.write(`revoked agent ${agent.name} (${iso(agent.revokedAt)})\n`);
      }),
    );
}
