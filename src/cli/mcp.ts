// `airlock mcp --stdio`: the MCP server for clients that spawn a command (Claude Desktop, Cursor,
// OpenClaw stdio). HTTP clients use `airlock serve` (MCP at /mcp) instead.
import type { Command } from 'commander';
import { Gateway } from '../gateway/gateway.js';
import { runStdio } from '../mcp/stdio.js';
import { invalidAuthorization, invalidParameterValue } from '../errors.js';
import { configFor, type CommonFlags } from './context.js';

interface McpFlags extends CommonFlags {
  stdio?: boolean;
  token?: string;
}

export function register(program: Command): void {
  program
    .command('mcp')
    .description('serve MCP on stdin/stdout for one agent (logs go to stderr)')
    .option('--stdio', 'speak MCP on stdin/stdout (the only mode of this command; HTTP is served by `airlock serve` at /mcp)')
    .option('--token <token>', 'agent token (prefer env AIRLOCK_AGENT_TOKEN: command-line flags show up in process lists)')
    .option('--upstream <url>', 'PostgreSQL that agents reach; env AIRLOCK_UPSTREAM_URL')
    .option('--store <url>', 'sqlite:PATH (default) or postgresql://...; env AIRLOCK_STORE_URL')
    .option('--redis <url>', 'BullMQ approval queue on Redis; env REDIS_URL')
    .action(async (flags: McpFlags, cmd: Command) => {
      if (!flags.stdio) throw invalidParameterValue('use `airlock mcp --stdio`; MCP over HTTP is served by `airlock serve` at /mcp');
      const token = flags.token ?? process.env.AIRLOCK_AGENT_TOKEN;
      if (!token)
        throw invalidAuthorization(
          'no agent token: set AIRLOCK_AGENT_TOKEN or pass --token (create one with `airlock agents create NAME --json`)',
        );
      const gateway = await Gateway.open(configFor(cmd, flags));
      let stopping = false;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        await gateway.close();
        process.exit(code);
      };
      process.once('SIGINT', () => void stop(0));
      process.once('SIGTERM', () => void stop(0));
      try {
        await runStdio(gateway, token);
      } catch (err) {
        await gateway.close();
        throw err;
      }
      await stop(0);
    });
}
