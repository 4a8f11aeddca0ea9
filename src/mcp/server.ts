// One MCP server per client session, bound to the agent that opened it. Every transport (stdio,
// Streamable HTTP, legacy SSE, in-memory in tests) connects to a server built here.
import { createRequire } from 'node:module';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayPort } from '../gateway/port.js';
import { ToolContext, type McpSessionOptions } from './context.js';
import { SERVER_INSTRUCTIONS } from './descriptions.js';
import { inputSchemas } from './schemas.js';
import { registerSqlTools } from './tools-sql.js';
import { registerCatalogTools } from './tools-catalog.js';
import { registerApiTools } from './tools-api.js';

export type { McpSessionOptions } from './context.js';

const VERSION = (() => {
  try {
    return String((createRequire(import.meta.url)('../../package.json') as { version?: string }).version ?? '0.0.0');
  } catch {
    try {
      return String((createRequire(import.meta.url)('../../../package.json') as { version?: string }).version ?? '0.0.0');
    } catch {
      return '0.0.0';
    }
  }
})();

export const TOOL_NAMES = ['query', 'approval_status', 'explain', 'list_databases', 'list_tables', 'describe_table'] as const;

/** Build the Airlock MCP server for one session; connect it to a transport with `server.connect(t)`. */
export function createMcpServer(gateway: GatewayPort, session: McpSessionOptions): McpServer {
  const server = new McpServer(
    { name: 'airlock', title: 'Airlock (guarded PostgreSQL)', version: VERSION },
    { instructions: SERVER_INSTRUCTIONS, capabilities: { tools: { listChanged: false } } },
  );
  const ctx = new ToolContext(gateway, server, session);
  const inputs = inputSchemas(gateway.config.mcp);
  registerSqlTools(server, ctx, inputs);
  registerCatalogTools(server, ctx, inputs);
  registerApiTools(server, ctx);
  auditRejectedCalls(server, ctx);
  return server;
}

type RawHandler = (request: { params?: { name?: unknown } }, extra: { requestId: string | number }) => Promise<CallToolResult>;

/**
 * The SDK answers unknown tools and schema-invalid arguments itself, before any handler runs.
 * Wrap its tools/call handler so those calls are audited too. This reaches into the SDK's
 * handler table; if a future SDK moves it, only this extra audit is lost (a test checks it).
 */
function auditRejectedCalls(server: McpServer, ctx: ToolContext): void {
  const table = (server.server as unknown as { _requestHandlers?: Map<string, RawHandler> })._requestHandlers;
  const inner = table?.get('tools/call');
  if (!table || !inner) return;
  table.set('tools/call', async (request, extra) => {
    const result = await inner(request, extra);
    ctx.auditRejected(extra.requestId, request.params?.name, result);
    return result;
  });
}
