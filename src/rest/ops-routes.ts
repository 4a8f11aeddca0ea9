// Probes and metrics for operators and orchestrators: GET /readyz (store, upstream and queue answer:
// 200, else 503 naming the failed check) and GET /metrics (Prometheus text). /healthz, the process-only
// liveness check, stays in http-server.ts. Metrics need no reviewer sign-in; config `metrics.token`
// asks for `Authorization: Bearer <token>`, `metrics.enabled: false` removes the route.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { MetricsConfig } from '../config/schema.js';
import type { OpsPort } from '../gateway/port.js';
import { bearerToken } from './reviewer-auth.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares in constant time (digests of equal length), so the token cannot be guessed byte by byte. */
function tokenMatches(given: string | null, expected: string): boolean {
  return given !== null && timingSafeEqual(digest(given), digest(expected));
}

export function opsRoutes(gateway: Pick<OpsPort, 'readiness' | 'metricsText'>, metrics: MetricsConfig): Router {
  const router = Router();
  router.get('/readyz', async (_req: Request, res: Response) => {
    const report = await gateway.readiness();
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.ok ? 200 : 503).json(report);
  });
  if (!metrics.enabled) return router;
  router.get('/metrics', async (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    if (metrics.token !== undefined && !tokenMatches(bearerToken(req.headers.authorization), metrics.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="airlock-metrics"');
      res.status(401).json({ error: { code: '28000', message: 'metrics need Authorization: Bearer <metrics.token>' } });
      return;
    }
    const { contentType, body } = await gateway.metricsText();
    res.setHeader('Content-Type', contentType);
    res.send(body);
  });
  return router;
}
