// Security headers on every HTTP answer (console, reviewer API, MCP, API proxy), chosen with helmet
// once at start-up and replayed per request, so the MCP hot path pays a few setHeader calls only.
// The console loads only its own bundled files, so the policy is strict: nothing from elsewhere,
// no inline script, and no page may frame it (a framed console would have live Approve buttons).
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

export function securityHeaders(opts: { tls: boolean }): (res: ServerResponse) => void {
  const middleware = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS only where the console is served over TLS: on plain HTTP it would be ignored or wrong
    strictTransportSecurity: opts.tls ? { maxAge: 15_552_000 } : false,
  });
  const headers: [string, string][] = [];
  const collector = {
    setHeader: (name: string, value: string | number | readonly string[]) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  middleware({} as IncomingMessage, collector as unknown as ServerResponse, () => undefined);
  return (res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
  };
}
