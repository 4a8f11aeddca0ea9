// Bearer-token authentication for MCP over HTTP, shared by the Streamable HTTP endpoint (served
// before express) and the legacy SSE routes (express): token cache in front of the store, and one
// 401 answer with a JSON body and a WWW-Authenticate challenge.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayPort } from '../gateway/port.js';
import type { Agent } from '../domain/request.js';
import { TokenCache } from './token-cache.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export const bearerToken = (header: string | undefined): string | null => (header ? (BEARER.exec(header)?.[1] ?? null) : null);

export class McpHttpAuth {
  private readonly cache: TokenCache;

  constructor(
    private readonly gateway: GatewayPort,
    tokenCacheMs: number,
  ) {
    this.cache = new TokenCache(tokenCacheMs);
  }

  /** The agent behind the request's bearer token, or null (missing, unknown or revoked). */
  async agentFor(req: IncomingMessage): Promise<Agent | null> {
    const token = bearerToken(req.headers.authorization);
    if (!token) return null;
    return this.cache.peek(token) ?? this.lookup(token, req);
  }

  /** The fresh cached agent for the request's token, synchronously; undefined when a lookup is needed. */
  cachedAgent(req: IncomingMessage): Agent | undefined {
    const token = bearerToken(req.headers.authorization);
    return token ? this.cache.peek(token) : undefined;
  }

  private lookup(token: string, req: IncomingMessage): Promise<Agent | null> {
    const remote = req.socket.remoteAddress;
    return this.cache.authenticate(token, (t) => this.gateway.authenticateToken(t, 'mcp', remote)).catch(() => null);
  }
}

/** 401 with a JSON body (SQLSTATE 28000) and a Bearer challenge. */
export function writeUnauthorized(req: IncomingMessage, res: ServerResponse): void {
  if (res.headersSent) return;
  const message = bearerToken(req.headers.authorization)
    ? 'agent token unknown or revoked'
    : 'agent token missing: send Authorization: Bearer <agent token>';
  res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="airlock"' });
  res.end(JSON.stringify({ error: { code: '28000', message } }));
}
