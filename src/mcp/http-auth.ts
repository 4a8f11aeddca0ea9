// Bearer-token authentication for MCP over HTTP, shared by the Streamable HTTP endpoint (served
// before express) and the legacy SSE routes (express): token cache in front of the store, and one
// 401 answer with a JSON body and a WWW-Authenticate challenge.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayPort } from '../gateway/port.js';
import type { Agent } from '../domain/request.js';
import { asAirlockError } from '../errors.js';
import { TokenCache } from '../domain/token-cache.js';

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

  /** Drop every cached lookup (an agent was revoked). */
  forget(): void {
    this.cache.clear();
  }

  /** The agent behind the request's bearer token, or null (missing, unknown or revoked). */
  async agentFor(req: IncomingMessage): Promise<Agent | null> {
    const token = bearerToken(req.headers.authorization);
    if (!token) return null;
    return this.cache.peek(token) ?? this.lookup(token, req);
  }

  /** The request's agent, or null once the answer (401, 429 with Retry-After, 503) is written. */
  async require(req: IncomingMessage, res: ServerResponse): Promise<Agent | null> {
    try {
      const agent = this.cachedAgent(req) ?? (await this.agentFor(req));
      if (!agent) writeUnauthorized(req, res);
      return agent;
    } catch (err) {
      writeAuthError(res, err);
      return null;
    }
  }

  /** The fresh cached agent for the request's token, synchronously; undefined when a lookup is needed. */
  cachedAgent(req: IncomingMessage): Agent | undefined {
    const token = bearerToken(req.headers.authorization);
    return token ? this.cache.peek(token) : undefined;
  }

  private lookup(token: string, req: IncomingMessage): Promise<Agent | null> {
    const remote = req.socket.remoteAddress;
    // throttling (429) and an unavailable store (503) propagate: they are not a wrong token
    return this.cache.authenticate(token, (t) => this.gateway.authenticateToken(t, 'mcp', remote ?? 'unknown'));
  }
}

/** The JSON answer for a failed lookup that was not a wrong token (throttled, store down). */
export function writeAuthError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return;
  const e = asAirlockError(err);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  const retry = (e as { retryAfterSeconds?: number }).retryAfterSeconds;
  if (retry !== undefined) headers['retry-after'] = String(retry);
  res.writeHead(e.httpStatus >= 400 && e.httpStatus < 600 ? e.httpStatus : 500, headers);
  res.end(JSON.stringify({ error: { code: e.code, message: e.message } }));
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
