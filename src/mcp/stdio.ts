// `airlock mcp --stdio`: one MCP session on stdin/stdout for the agent whose token started it.
// stdout carries only the protocol; logs go to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayPort } from '../gateway/port.js';
import { invalidAuthorization } from '../errors.js';
import { logger } from '../logger.js';
import { createMcpServer } from './server.js';

export interface StdioOptions {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}

/** Serve MCP on stdio until the client closes stdin; the token is re-checked on every tool call. */
export async function runStdio(gateway: GatewayPort, token: string, opts: StdioOptions = {}): Promise<void> {
  const agent = await gateway.authenticateToken(token, 'mcp', 'stdio');
  if (!agent)
    throw invalidAuthorization(
      'agent token unknown or revoked (set AIRLOCK_AGENT_TOKEN or pass --token; create one with `airlock agents create NAME`)',
    );
  const server = createMcpServer(gateway, { agent, reauthorize: () => gateway.authenticateToken(token, 'mcp', 'stdio') });
  const stdin = (opts.stdin ?? process.stdin) as NodeJS.ReadStream;
  const stdout = (opts.stdout ?? process.stdout) as NodeJS.WriteStream;
  const transport = new StdioServerTransport(stdin, stdout, { maxBufferSize: gateway.config.mcp.maxBodyBytes });
  const ended = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    stdin.once('end', () => resolve());
    stdin.once('close', () => resolve());
  });
  transport.onerror = (err) => logger.warn({ err: err.message }, 'mcp stdio: bad input from the client');
  await server.connect(transport);
  const answered = trackRequests(transport);
  logger.info({ agent: agent.name, database: gateway.defaultDatabase }, 'mcp stdio session started');
  await ended;
  // stdin ended: still answer every request already received (the client may be waiting), then close
  await answered();
  await server.close().catch(() => undefined);
}

/** Count requests from receipt to response; the returned function resolves when none is open. */
function trackRequests(transport: StdioServerTransport): () => Promise<void> {
  const open = new Set<string | number>();
  let wake: (() => void) | null = null;
  const receive = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && 'id' in message) open.add(message.id);
    receive?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage) => {
    await send(message);
    if (
      ('result' in message || 'error' in message) &&
      'id' in message &&
      message.id !== undefined &&
      open.delete(message.id) &&
      open.size === 0
    )
      wake?.();
  };
  return () => (open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve)));
}
