// MCP over HTTP inside `airlock serve`: Streamable HTTP at /mcp (stateful sessions with the
// Mcp-Session-Id header, JSON answers) and the legacy SSE transport (GET /sse + POST /messages).
// Every request carries the agent's bearer token, checked against the store at most
// `mcp.tokenCacheMs` earlier; a session only answers the agent that opened it.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../gateway.js';
import type { Agent } from '../gateway-types.js';
import { logger } from '../logger.js';
import { McpBodyError, readJsonBody } from './json-body.js';
import { JsonHttpTransport } from './json-http-transport.js';
import { createMcpServer } from './server.js';
import { SESSION_KINDS, SessionRegistry } from './sessions.js';
import { TokenCache } from './token-cache.js';

export const MCP_PATHS = { streamable: '/mcp', sse: '/sse', messages: '/messages' } as const;

type Locals = { agent: Agent };

const bearer = (header: string | undefined): string | null => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? null;

/** JSON-RPC shaped error, which MCP clients surface verbatim. */
function rpcError(res: Response, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** 401 with a JSON body and a WWW-Authenticate challenge for a missing, unknown or revoked token. */
function agentAuth(gateway: Gateway, cache: TokenCache) {
  return async (req: Request, res: Response<unknown, Locals>, next: NextFunction) => {
    const token = bearer(req.headers.authorization);
    const lookup = (t: string) => gateway.authenticateToken(t, 'mcp', req.ip);
    const agent = token ? await cache.authenticate(token, lookup).catch(() => null) : null;
    if (!agent) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="airlock"')
        .json({
          error: { code: '28000', message: token ? 'agent token unknown or revoked' : 'agent token missing: send Authorization: Bearer <agent token>' },
        });
      return;
    }
    res.locals.agent = agent;
    next();
  };
}

/** Mount the MCP HTTP endpoints on the serve app; sessions close when the process closes them. */
export function mountMcp(app: Express, gateway: Gateway): SessionRegistry {
  const cfg = gateway.config.mcp;
  const sessions = new SessionRegistry(cfg.maxSessions, cfg.sessionIdleMinutes * 60_000);
  const cache = new TokenCache(cfg.tokenCacheMs);
  const auth = agentAuth(gateway, cache);
  const json = express.json({ limit: cfg.maxBodyBytes, type: ['application/json', 'application/*+json'] });
  const router = express.Router();

  router.post(MCP_PATHS.streamable, auth, async (req: Request, res: Response<unknown, Locals>) => {
    const agent = res.locals.agent;
    const body = await readJsonBody(req, cfg.maxBodyBytes);
    const id = req.header('mcp-session-id');
    if (id) {
      const s = sessions.get(id, SESSION_KINDS.streamable, agent.id);
      if (!s) return rpcError(res, 404, -32001, 'Session not found: start a new session with initialize');
      return (s.transport as JsonHttpTransport).handleRequest(req, res, body);
    }
    if (!isInitializeRequest(body)) return rpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header; the first request must be initialize');
    const server = createMcpServer(gateway, { agent });
    const transport: JsonHttpTransport = new JsonHttpTransport({
      onsessioninitialized: (sid) => sessions.add({ id: sid, kind: SESSION_KINDS.streamable, agentId: agent.id, server, transport, lastSeen: Date.now() }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.remove(transport.sessionId);
    };
    await server.connect(transport);
    transport.handleRequest(req, res, body);
  });

  // DELETE ends the session; GET (a server-to-client stream) is answered 405 by the transport
  const existing = (req: Request, res: Response<unknown, Locals>) => {
    const s = sessions.get(req.header('mcp-session-id'), SESSION_KINDS.streamable, res.locals.agent.id);
    if (!s) return rpcError(res, req.header('mcp-session-id') ? 404 : 400, -32000, 'a valid Mcp-Session-Id header is required');
    (s.transport as JsonHttpTransport).handleRequest(req, res);
  };
  router.get(MCP_PATHS.streamable, auth, existing);
  router.delete(MCP_PATHS.streamable, auth, existing);

  router.get(MCP_PATHS.sse, auth, async (_req: Request, res: Response<unknown, Locals>) => {
    const agent = res.locals.agent;
    const server = createMcpServer(gateway, { agent });
    const transport = new SSEServerTransport(MCP_PATHS.messages, res);
    sessions.add({ id: transport.sessionId, kind: SESSION_KINDS.sse, agentId: agent.id, server, transport, lastSeen: Date.now() });
    res.on('close', () => sessions.close(transport.sessionId));
    await server.connect(transport);
  });

  router.post(MCP_PATHS.messages, auth, json, async (req: Request, res: Response<unknown, Locals>) => {
    const id = typeof req.query.sessionId === 'string' ? req.query.sessionId : undefined;
    const s = sessions.get(id, SESSION_KINDS.sse, res.locals.agent.id);
    if (!s) return rpcError(res, 404, -32001, 'Session not found: open GET /sse first');
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, req.body);
  });

  // body parser and transport failures stay JSON-RPC errors on these paths
  router.use((err: { status?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof McpBodyError) return rpcError(res, err.status, err.rpcCode, err.message);
    if (err?.type === 'entity.too.large') return rpcError(res, 413, -32000, `request body too large (limit ${cfg.maxBodyBytes} bytes)`);
    if (err?.type === 'entity.parse.failed') return rpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
    if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) return rpcError(res, err.status, -32000, `invalid request: ${err.message ?? 'bad request'}`);
    logger.error({ err: err?.message }, 'mcp http request failed');
    rpcError(res, 500, -32603, 'internal error');
  });

  app.use(router);
  return sessions;
}
