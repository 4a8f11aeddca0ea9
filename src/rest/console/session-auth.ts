// Console sessions over HTTP: an HttpOnly, SameSite=Strict cookie (Secure over TLS) names the
// session; every state-changing request must also carry the session's CSRF token in a header, come
// as JSON, and (when the browser says where it comes from) from this origin.
import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { GatewayPort } from '../../gateway/port.js';
import type { ReviewerSession } from '../../domain/reviewer.js';
import { AirlockError, SqlState, insufficientPrivilege, invalidAuthorization } from '../../errors.js';
import { sendError } from '../http-errors.js';

export const SESSION_COOKIE = 'airlock_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One cookie's value from the Cookie header (no dependency for one name). */
export function readCookie(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** Over TLS (directly, or behind a proxy when the configured public URL is https) the cookie is Secure. */
export const isSecure = (req: Request, publicUrl?: string) => req.secure || publicUrl?.startsWith('https:') === true;

/** The console's own base URL: the configured public URL, else the origin the browser used. */
export const baseUrl = (req: Request, publicUrl?: string) => (publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/$/, '');

export function setSessionCookie(res: Response, token: string, secure: boolean): void {
  const attrs = [`${SESSION_COOKIE}=${encodeURIComponent(token)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  res.append('Set-Cookie', attrs.join('; '));
}

export function clearSessionCookie(res: Response, secure: boolean): void {
  const attrs = [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=0', ...(secure ? ['Secure'] : [])];
  res.append('Set-Cookie', attrs.join('; '));
}

export const sessionExpired = () => invalidAuthorization('your session has expired or you were signed out: sign in again');

/** The session of a request, set by requireSession. */
export const sessionOf = (res: Response): ReviewerSession => res.locals.session as ReviewerSession;

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A state-changing request must come from this origin (when the browser says) and as JSON. */
export function originProblem(req: Request): AirlockError | null {
  const origin = req.headers.origin;
  if (origin && origin !== 'null') {
    let ok: boolean;
    try {
      ok = new URL(origin).host === req.headers.host;
    } catch {
      ok = false;
    }
    if (!ok) return insufficientPrivilege(`cross-origin request refused (Origin ${origin.slice(0, 100)})`);
  }
  if (!req.is('application/json')) {
    return new AirlockError('expected a JSON request body (Content-Type: application/json)', SqlState.invalidParameterValue, 415);
  }
  return null;
}

/** Checks a state-changing request's origin, content type and CSRF token against the session. */
export function csrfProblem(req: Request, session: ReviewerSession): AirlockError | null {
  if (SAFE_METHODS.has(req.method)) return null;
  const shape = originProblem(req);
  if (shape) return shape;
  const given = req.headers[CSRF_HEADER];
  if (typeof given !== 'string' || !given) return insufficientPrivilege('missing CSRF token: reload the page and try again');
  if (!sameText(given, session.csrf)) return insufficientPrivilege('wrong CSRF token: reload the page and try again');
  return null;
}

/** Sets res.locals.session, or answers 401 (no or expired session) / 403 (CSRF). */
export function requireSession(gateway: Pick<GatewayPort, 'reviewerSession'>): RequestHandler {
  return async (req, res, next) => {
    try {
      const token = readCookie(req, SESSION_COOKIE);
      const session = token ? await gateway.reviewerSession(token) : null;
      if (!session) throw sessionExpired();
      const problem = csrfProblem(req, session);
      if (problem) throw problem;
      res.locals.session = session;
      res.locals.sessionToken = token;
      next();
    } catch (err) {
      sendError(res, err);
    }
  };
}

/** Admin-only routes (agents): a reviewer without the admin flag gets 403. */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (sessionOf(res).admin) return next();
  sendError(res, insufficientPrivilege('only admins may do this (airlock reviewers add NAME --admin)'));
};
