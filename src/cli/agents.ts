// `airlock agents create|list|revoke`: the identities agents connect with (token shown once).
import type { Command } from 'commander';
import { safeUser, storeOption, withAdmin, type CommonFlags } from './context.js';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

export function register(program: Command): void {
  const agents = program.command('agents').description('create, list and revoke agent identities');

  agents
    .command('create')
    .description('create an agent and print its token (shown only this once)')
    .argument('<name>', 'agent name (also the wire user name)')
    .option(...storeOption)
    .option('--json', 'print {"id", "name", "token", "createdAt"}')
    .action(async (name: string, opts: CommonFlags, cmd: Command) =>
      withAdmin(cmd, opts, async (gw) => {
        const { agent, token } = await gw.createAgent(name, safeUser());
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
    .action(async (opts: CommonFlags, cmd: Command) =>
      withAdmin(cmd, opts, async (gw) => {
        const list = await gw.listAgents();
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
    .action(async (name: string, opts: CommonFlags, cmd: Command) =>
      withAdmin(cmd, opts, async (gw) => {
        const agent = await gw.revokeAgent(name, safeUser());
        if (opts.json) process.stdout.write(`${JSON.stringify(agent)}\n`);
        else process.stdout.write(`revoked agent ${agent.name} (${iso(agent.revokedAt)})\n`);
      }),
    );
}
