// The web console's server side: JSON API under /console/api for signed-in reviewers (session
// cookie + CSRF token), the built front end for the page paths, and nothing else. It talks to the
// gateway only through the port's verbs.
import { Router, json } from 'express';
import type { GatewayPort } from '../../gateway/port.js';
import type { ConsoleConfig } from '../../config/schema.js';
import { undefinedObject } from '../../errors.js';
import { sendError } from '../http-errors.js';
import { requireSession } from './session-auth.js';
import { signInRoutes } from './sign-in-routes.js';
import { approvalRoutes } from './approval-routes.js';
import { auditRoutes } from './audit-routes.js';
import { adminRoutes, type AdminOptions } from './admin-routes.js';
import { consoleStatic } from './static-files.js';

export interface ConsoleOptions extends AdminOptions {
  console: ConsoleConfig;
}

/** Mount at the root of the HTTP app: /console/api/* and the page paths. */
export function consoleRouter(gateway: GatewayPort, opts: ConsoleOptions): Router {
  const router = Router();
  const api = Router();
  api.use(json({ limit: '64kb' }));
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  api.use(signInRoutes(gateway, opts));
  api.use(requireSession(gateway));
  api.use(approvalRoutes(gateway));
  api.use(auditRoutes(gateway));
  api.use(adminRoutes(gateway, opts));
  api.use((req, res) => sendError(res, undefinedObject(`no console API route ${req.method} ${req.path}`)));
  router.use('/console/api', api);
  router.use(consoleStatic());
  return router;
}
