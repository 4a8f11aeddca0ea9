// The Streamable HTTP endpoint (/mcp), served on Node's request before express sees it: the
// `query` hot path is auth (token cache), one JSON.parse of the body, a session lookup and the
// transport, with no middleware chain in between. Sessions are bound to the agent that opened
// them; another agent's session id is answered exactly like an unknown one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayPort } from '../gateway/port.js';
import type { Agent } from '../domain/request.js';
import { logger } from '../logger.js';
import { McpHttpAuth } from './http-auth.js';
import { JsonBodyError, readJsonBody } from '../domain/json-body.js';
import { JsonHttpTransport, writeRpcError } from './json-http-transport.js';
import { createMcpServer } from './server.js';
import { SESSION_KINDS, type SessionRegistry } from './sessions.js';

/** The request path without its query string. */
const pathOf = (url: string | undefined) => {
  const q = url?.indexOf('?') ?? -1;
  return q < 0 ? url : url!.slice(0, q);
};

/**
 * A front handler for `path`: takes the requests it owns (any method on that path) and answers
 * them; returns false for everything else, which then goes to express.
 */
export function streamableHttp(gateway: GatewayPort, sessions: SessionRegistry, auth: McpHttpAuth, path: string) {
  const maxBody = gateway.config.mcp.maxBodyBytes;

  async function post(req: IncomingMessage, res: ServerResponse, agent: Agent, body: unknown): Promise<void> {
    const id = req.headers['mcp-session-id'];
    if (id !== undefined) {
      const s = sessions.get(String(id), SESSION_KINDS.streamable, agent.id);
      if (!s) return writeRpcError(res, 404, -32001, 'Session not found: start a new session with initialize');
      return (s.transport as JsonHttpTransport).handleRequest(req, res, body);
    }
    if (!isInitializeRequest(body))
      return writeRpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header; the first request must be initialize');
    const server = createMcpServer(gateway, { agent });
    const transport: JsonHttpTransport = new JsonHttpTransport({
      onsessioninitialized: (sid) =>
        sessions.add({ id: sid, kind: SESSION_KINDS.streamable, agentId: agent.id, server, transport, lastSeen: Date.now() }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.remove(transport.sessionId);
    };
    await server.connect(transport);
    transport.handleRequest(req, res, body);
  }

  /** GET (no server-to-client stream: 405 from the transport) and DELETE (ends the session). */
  function existing(req: IncomingMessage, res: ServerResponse, agent: Agent): void {
    const id = req.headers['mcp-session-id'];
    const s = sessions.get(id === undefined ? undefined : String(id), SESSION_KINDS.streamable, agent.id);
    if (!s) return writeRpcError(res, id ? 404 : 400, -32000, 'a valid Mcp-Session-Id header is required');
    (s.transport as JsonHttpTransport).handleRequest(req, res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // start reading the body at once; it is only used once the token checks out
    const body = req.method === 'POST' ? readJsonBody(req, maxBody) : undefined;
    body?.catch(() => undefined);
    const agent = await auth.require(req, res);
    if (!agent) return;
    if (req.method === 'POST') return post(req, res, agent, await body);
    if (req.method === 'GET' || req.method === 'DELETE') return existing(req, res, agent);
    writeRpcError(res, 405, -32000, 'Method Not Allowed', { allow: 'GET, POST, DELETE' });
  }

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (pathOf(req.url) !== path) return false;
    handle(req, res).catch((err: unknown) => {
      if (err instanceof JsonBodyError) return writeRpcError(res, err.status, err.rpcCode, err.message);
      logger.error({ err: (err as Error)?.message, requestId: req.headers['x-request-id'] }, 'mcp http request failed');
      writeRpcError(res, 500, -32603, 'internal error');
    });
    return true;
  };
}
