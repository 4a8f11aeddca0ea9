// What every tool handler shares: the gateway, the agent behind this MCP session, the client's
// name from `initialize`, and one wrapper that audits the call and turns throws into isError.
import { randomUUID } from 'node:crypto';
import { databaseOf } from '../domain/targets.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayPort } from '../gateway/port.js';
import type { Agent } from '../domain/request.js';
import type { McpConfig } from '../config/schema.js';
import { asAirlockError, invalidAuthorization } from '../errors.js';
import { logger } from '../logger.js';
import { errorResult } from './results.js';

export interface McpSessionOptions {
  /** the agent the session was opened for */
  agent: Agent;
  /** re-check the agent before every call (stdio: the token may be revoked while the process runs) */
  reauthorize?: () => Promise<Agent | null>;
}

export interface CallScope {
  agent: Agent;
  database: string;
  requestId: string;
  client?: string;
}

type RpcId = string | number;

export class ToolContext {
  /** JSON-RPC ids of calls that reached a handler (and audited themselves) */
  private readonly handled = new Set<RpcId>();

  constructor(
    readonly gateway: GatewayPort,
    private readonly server: McpServer,
    private readonly session: McpSessionOptions,
  ) {}

  get cfg(): McpConfig {
    return this.gateway.config.mcp;
  }

  /** the agent the session was opened for */
  get agent() {
    return this.session.agent;
  }

  get defaultDatabase(): string {
    return this.gateway.defaultDatabase;
  }

  /** "name/version" from the client's initialize request, for the audit trail. */
  clientName(): string | undefined {
    const info = this.server.server.getClientVersion();
    if (!info?.name) return undefined;
    return `${info.name}${info.version ? `/${info.version}` : ''}`.slice(0, 200);
  }

  /** Run one tool call: authorize, audit (agent, client, tool), and never let an exception escape. */
  async call(
    tool: string,
    where: string | { database?: string; target?: string } | undefined,
    rpcId: RpcId | undefined,
    fn: (scope: CallScope) => Promise<CallToolResult>,
  ): Promise<CallToolResult> {
    if (rpcId !== undefined) this.handled.add(rpcId);
    const agent = this.session.reauthorize ? await this.session.reauthorize().catch(() => null) : this.session.agent;
    if (!agent)
      return errorResult(invalidAuthorization('the agent token is unknown or was revoked; restart the MCP server with a valid token'));
    let database: string;
    try {
      database = typeof where === 'object' ? databaseOf(this.gateway.config, where, this.defaultDatabase) : (where ?? this.defaultDatabase);
    } catch (err) {
      return errorResult(asAirlockError(err));
    }
    const scope: CallScope = { agent, database, requestId: randomUUID(), client: this.clientName() };
    this.gateway.record({
      type: 'tool.call',
      agent: agent.name,
      door: 'mcp',
      database: scope.database,
      requestId: scope.requestId,
      data: { tool, client: scope.client ?? null },
    });
    try {
      return await fn(scope);
    } catch (err) {
      const e = asAirlockError(err);
      if (e.httpStatus >= 500) logger.error({ err: e.message, tool }, 'mcp tool failed');
      return errorResult(e);
    }
  }

  /**
   * Audit a tools/call that never reached a handler (unknown tool, arguments refused by the input
   * schema), so probing with bad input leaves a trace too. Returns whether it was such a call.
   */
  auditRejected(rpcId: RpcId, tool: unknown, result: CallToolResult): boolean {
    if (this.handled.delete(rpcId)) return false;
    const first = result.content?.[0];
    this.gateway.record({
      type: 'tool.call',
      agent: this.session.agent.name,
      door: 'mcp',
      database: null,
      data: {
        tool: typeof tool === 'string' ? tool.slice(0, 200) : null,
        client: this.clientName() ?? null,
        rejected: true,
        error: first?.type === 'text' ? first.text.slice(0, 1000) : null,
      },
    });
    return true;
  }
}
