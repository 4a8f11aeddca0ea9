// Sign-in, sign-out and "who am I" for the console. The gateway throttles failed sign-ins per name
// and per address and audits them, throttled ones too.
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { GatewayPort } from '../../gateway/port.js';
import type { ConsoleConfig } from '../../config/schema.js';
import { invalidParameterValue, invalidPassword } from '../../errors.js';
import { formatIssues } from '../../config/load.js';
import { sendError } from '../http-errors.js';
import {
  SESSION_COOKIE,
  clearSessionCookie,
  isSecure,
  originProblem,
  readCookie,
  requireSession,
  sessionOf,
  setSessionCookie,
} from './session-auth.js';

const signInBody = z.object({ name: z.string().max(200), password: z.string().max(2000) }).strict();

export interface SignInOptions {
  console: ConsoleConfig;
  /** http.publicUrl when configured */
  publicUrl?: string;
}

const remoteOf = (req: Request) => req.socket.remoteAddress ?? 'unknown';

export function signInRoutes(gateway: GatewayPort, opts: SignInOptions): Router {
  const router = Router();

  router.post('/sign-in', async (req, res) => {
    const remote = remoteOf(req);
    try {
      // no session yet, but the same origin and JSON rules: a cross-site form cannot sign anyone in
      const problem = originProblem(req);
      if (problem) throw problem;
      const parsed = signInBody.safeParse(req.body ?? {});
      if (!parsed.success) throw invalidParameterValue(`invalid sign-in: ${formatIssues(parsed.error.issues)}`);
      const { name, password } = parsed.data;
      const signed = await gateway.signIn(name, password, remote); // throttled and audited there
      if (!signed) throw invalidPassword('wrong name or password');
      setSessionCookie(res, signed.token, isSecure(req, opts.publicUrl));
      const s = signed.session;
      res.json({ session: { reviewer: s.reviewer, admin: s.admin, csrf: s.csrf, expiresAt: s.expiresAt } });
    } catch (err) {
      sendError(res, err);
    }
  });

  // who am I, with the CSRF token for later requests; 401 when not signed in
  router.get('/session', requireSession(gateway), (_req, res) => {
    const s = sessionOf(res);
    res.json({
      session: { reviewer: s.reviewer, admin: s.admin, csrf: s.csrf, expiresAt: s.expiresAt },
      settings: { denyReasons: opts.console.denyReasons, manyRowsThreshold: opts.console.manyRowsThreshold },
    });
  });

  router.post('/sign-out', requireSession(gateway), async (req, res) => {
    try {
      await gateway.signOut(readCookie(req, SESSION_COOKIE) ?? '', sessionOf(res).reviewer);
      clearSessionCookie(res, isSecure(req, opts.publicUrl));
      res.json({ ok: true });
    } catch (err) {
      sendError(res, err);
    }
  });
  return router;
}
