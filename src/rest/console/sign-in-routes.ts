// Sign-in, sign-out and "who am I" for the console. Failed sign-ins are throttled per name and per
// address (rate-limiter-flexible, in memory) and audited, throttled ones too.
import { Router, type Request } from 'express';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { GatewayPort } from '../../gateway/port.js';
import type { ConsoleConfig } from '../../config/schema.js';
import { invalidParameterValue, invalidPassword, tooManyAttempts } from '../../errors.js';
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

/**
 * Locks a name (and an address) after too many failures within the window. An attempt takes its
 * point before the password is checked (atomically, so parallel guesses cannot slip past the
 * limit) and gives it back when it succeeds.
 */
class SignInThrottle {
  private readonly byName: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(cfg: ConsoleConfig) {
    const duration = Math.max(1, Math.round(cfg.signInWindowMinutes * 60));
    this.byName = new RateLimiterMemory({ keyPrefix: 'name', points: cfg.signInMaxFailures, duration });
    this.byAddress = new RateLimiterMemory({ keyPrefix: 'addr', points: cfg.signInMaxFailuresPerAddress, duration });
  }

  /** Take a point for this attempt; the ms to wait when the name or the address is locked, else 0. */
  async attempt(name: string, address: string): Promise<number> {
    const key = name.toLowerCase();
    try {
      await this.byAddress.consume(address);
    } catch (res) {
      return (res as RateLimiterRes).msBeforeNext ?? 1000;
    }
    try {
      await this.byName.consume(key);
      return 0;
    } catch (res) {
      await this.byAddress.reward(address, 1);
      return (res as RateLimiterRes).msBeforeNext ?? 1000;
    }
  }

  /** A successful sign-in clears the name's failures and returns the address's point. */
  async succeeded(name: string, address: string): Promise<void> {
    await Promise.all([this.byName.delete(name.toLowerCase()), this.byAddress.reward(address, 1)]);
  }
}

export function signInRoutes(gateway: GatewayPort, opts: SignInOptions): Router {
  const router = Router();
  const throttle = new SignInThrottle(opts.console);

  router.post('/sign-in', async (req, res) => {
    const remote = remoteOf(req);
    try {
      // no session yet, but the same origin and JSON rules: a cross-site form cannot sign anyone in
      const problem = originProblem(req);
      if (problem) throw problem;
      const parsed = signInBody.safeParse(req.body ?? {});
      if (!parsed.success) throw invalidParameterValue(`invalid sign-in: ${formatIssues(parsed.error.issues)}`);
      const { name, password } = parsed.data;
      const wait = await throttle.attempt(name, remote);
      if (wait > 0) {
        gateway.record({
          type: 'auth.failed',
          door: 'rest',
          data: { via: 'console', reviewer: name.slice(0, 100), reason: 'throttled', remote },
        });
        res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
        throw tooManyAttempts(`too many failed sign-ins: try again in ${Math.ceil(wait / 1000)} s`);
      }
      const signed = await gateway.signIn(name, password, remote);
      if (!signed) throw invalidPassword('wrong name or password');
      await throttle.succeeded(name, remote);
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
