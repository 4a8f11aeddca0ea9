// The HTTP listener of `airlock serve`: reviewer API, web console, probes and metrics, and (when
// mounted) MCP. Every request gets a request id (X-Request-Id, kept from the client when it is a safe
// token) that its log lines carry and its response echoes.
import express, { type Express } from 'express';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../gateway/gateway.js';
import { approvalsApi } from './approvals-api.js';
import { consoleRouter } from './console/console-router.js';
import { errorHandler } from './http-errors.js';
import { securityHeaders } from './security-headers.js';
import { opsRoutes } from './ops-routes.js';
import { requestIdFrom } from '../domain/request-id.js';
import { debugEnabled, logger } from '../logger.js';

export interface HttpServer {
  app: Express;
  server: Server;
  port: number;
  /**
   * Shutdown, first step: stop accepting connections now, then wait at most graceMs for requests in
   * progress (event streams excepted: they never end by themselves).
   */
  drain(graceMs: number): Promise<void>;
  close(): Promise<void>;
}

const DRAIN_POLL_MS = 20;

const isStream = (res: ServerResponse) => String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');

/**
 * Extra routers (MCP, REST proxy) are mounted by the caller through `mount`. `front` sees every
 * request before express and keeps the ones it answers (returns true): a hot path that needs no
 * middleware (MCP Streamable HTTP) skips express's per-request cost.
 */
export async function startHttpServer(
  gateway: Gateway,
  opts: {
    host: string;
    port: number;
    mount?: (app: Express) => void;
    front?: (req: IncomingMessage, res: ServerResponse) => boolean;
    /** where the wire proxy listens, for the connection strings the console shows */
    wireAddress?: () => { host: string; port: number } | null;
  },
): Promise<HttpServer> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(opsRoutes(gateway, gateway.config.metrics));
  app.use('/api', approvalsApi(gateway));
  opts.mount?.(app);
  app.use(
    consoleRouter(gateway, { console: gateway.config.console, publicUrl: gateway.config.http.publicUrl, wireAddress: opts.wireAddress }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: { code: '42704', message: 'not found' } });
  });
  app.use(errorHandler);
  /** responses not finished yet (shutdown waits for them) */
  const active = new Set<ServerResponse>();
  const server = await new Promise<Server>((resolve, reject) => {
    const front = opts.front;
    const secure = securityHeaders({ tls: gateway.config.http.publicUrl?.startsWith('https:') === true });
    const s = createServer((req, res) => {
      const requestId = requestIdFrom(req.headers['x-request-id']);
      // doors read it from the request (error lines, audit), the client from the response
      req.headers['x-request-id'] = requestId;
      res.setHeader('X-Request-Id', requestId);
      active.add(res);
      res.once('close', () => active.delete(res));
      if (debugEnabled()) accessLine(req, res, requestId);
      secure(res);
      if (!front?.(req, res)) app(req, res);
    });
    s.listen(opts.port, opts.host, () => resolve(s));
    s.once('error', reject);
  });
  return {
    app,
    server,
    port: (server.address() as AddressInfo).port,
    drain: async (graceMs) => {
      server.close();
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while ([...active].some((res) => !isStream(res)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

/** The debug access line of one request: no query string (it may carry a token), no body. */
function accessLine(req: IncomingMessage, res: ServerResponse, requestId: string): void {
  const started = performance.now();
  res.once('close', () => {
    const path = (req.url ?? '').split('?')[0];
    const ms = Math.round((performance.now() - started) * 1000) / 1000;
    logger.debug({ requestId, method: req.method, path, status: res.statusCode, ms }, 'http request');
  });
}
