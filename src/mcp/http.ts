// MCP over HTTP inside `airlock serve`: Streamable HTTP at /mcp (stateful sessions with the
// Mcp-Session-Id header, JSON answers; served before express, see streamable-http.ts) and the
// legacy SSE transport (GET /sse + POST /messages, express routes). Every request carries the
// agent's bearer token, checked against the store at most `mcp.tokenCacheMs` earlier; a session
// only answers the agent that opened it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { GatewayPort } from '../gateway/port.js';
import type { Agent } from '../domain/request.js';
import { logger } from '../logger.js';
import { McpHttpAuth } from './http-auth.js';
import { createMcpServer } from './server.js';
import { SESSION_KINDS, SessionRegistry } from './sessions.js';
import { streamableHttp } from './streamable-http.js';

export const MCP_PATHS = { streamable: '/mcp', sse: '/sse', messages: '/messages' } as const;

type Locals = { agent: Agent };

export interface McpHttp {
  sessions: SessionRegistry;
  /** add the express routes (legacy SSE) */
  mount(app: Express): void;
  /** serve /mcp ahead of express; false for requests it does not own */
  front(req: IncomingMessage, res: ServerResponse): boolean;
}

/** JSON-RPC shaped error, which MCP clients surface verbatim. */
function rpcError(res: Response, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** The MCP HTTP endpoints for `airlock serve`; sessions close when the process closes them. */
export function createMcpHttp(gateway: GatewayPort): McpHttp {
  const cfg = gateway.config.mcp;
  const sessions = new SessionRegistry(cfg.maxSessions, cfg.sessionIdleMinutes * 60_000);
  const auth = new McpHttpAuth(gateway, cfg.tokenCacheMs);
  // a revoked agent's sessions end at once, and no cached lookup of its token survives
  sessions.onClose = gateway.onAgentRevoked((agent) => {
    auth.forget();
    sessions.closeAgent(agent.id);
  });
  return {
    sessions,
    mount: (app) => app.use(sseRouter(gateway, sessions, auth)),
    front: streamableHttp(gateway, sessions, auth, MCP_PATHS.streamable),
  };
}

/** The legacy SSE transport: GET /sse opens a session's stream, POST /messages?sessionId= feeds it. */
function sseRouter(gateway: GatewayPort, sessions: SessionRegistry, auth: McpHttpAuth): express.Router {
  const cfg = gateway.config.mcp;
  const json = express.json({ limit: cfg.maxBodyBytes, type: ['application/json', 'application/*+json'] });
  const router = express.Router();
  const agentAuth = async (req: Request, res: Response<unknown, Locals>, next: NextFunction) => {
    const agent = await auth.require(req, res);
    if (!agent) return;
    res.locals.agent = agent;
    next();
  };

  router.get(MCP_PATHS.sse, agentAuth, async (_req: Request, res: Response<unknown, Locals>) => {
    const agent = res.locals.agent;
    const server = createMcpServer(gateway, { agent });
    const transport = new SSEServerTransport(MCP_PATHS.messages, res);
    sessions.add({ id: transport.sessionId, kind: SESSION_KINDS.sse, agentId: agent.id, server, transport, lastSeen: Date.now() });
    res.on('close', () => sessions.close(transport.sessionId));
    await server.connect(transport);
  });

  router.post(MCP_PATHS.messages, agentAuth, json, async (req: Request, res: Response<unknown, Locals>) => {
    const id = typeof req.query.sessionId === 'string' ? req.query.sessionId : undefined;
    const s = sessions.get(id, SESSION_KINDS.sse, res.locals.agent.id);
    if (!s) return rpcError(res, 404, -32001, 'Session not found: open GET /sse first');
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, req.body);
  });

  // body parser and transport failures stay JSON-RPC errors on these paths
  router.use((err: { status?: number; type?: string; message?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (err?.type === 'entity.too.large') return rpcError(res, 413, -32000, `request body too large (limit ${cfg.maxBodyBytes} bytes)`);
    if (err?.type === 'entity.parse.failed') return rpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
    if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500)
      return rpcError(res, err.status, -32000, `invalid request: ${err.message ?? 'bad request'}`);
    logger.error({ err: err?.message, requestId: req.headers['x-request-id'] }, 'mcp http request failed');
    rpcError(res, 500, -32603, 'internal error');
  });
  return router;
}
