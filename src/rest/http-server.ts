// The HTTP listener of `airlock serve`: reviewer API, web console, and (when mounted) MCP.
import express, { type Express } from 'express';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../gateway/gateway.js';
import { approvalsApi } from './approvals-api.js';
import { consoleRouter } from './console/console-router.js';
import { errorHandler } from './http-errors.js';
import { securityHeaders } from './security-headers.js';

export interface HttpServer {
  app: Express;
  server: Server;
  port: number;
  close(): Promise<void>;
}

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
  app.use('/api', approvalsApi(gateway));
  opts.mount?.(app);
  app.use(
    consoleRouter(gateway, { console: gateway.config.console, publicUrl: gateway.config.http.publicUrl, wireAddress: opts.wireAddress }),
  );
  app.use((_req, res) => {
    res.status(404).json({ error: { code: '42704', message: 'not found' } });
  });
  app.use(errorHandler);
  const server = await new Promise<Server>((resolve, reject) => {
    const front = opts.front;
    const secure = securityHeaders({ tls: gateway.config.http.publicUrl?.startsWith('https:') === true });
    const s = createServer((req, res) => {
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
