// Reviewers authenticate to the HTTP API with a bearer token from the config (`reviewers:`); the
// gateway checks it, throttles repeated failures per address and audits every refusal.
import type { RequestHandler } from 'express';
import type { AgentsPort } from '../gateway/port.js';
import { sendError } from './http-errors.js';

export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : null;
}

/** Sets res.locals.reviewer to the reviewer's name, or answers 401 (429 while throttled). */
export function reviewerAuth(gateway: Pick<AgentsPort, 'authenticateReviewerToken'>): RequestHandler {
  return (req, res, next) => {
    gateway.authenticateReviewerToken(bearerToken(req.headers.authorization), req.socket.remoteAddress ?? 'unknown').then(
      (name) => {
        res.locals.reviewer = name;
        next();
      },
      (err: unknown) => sendError(res, err),
    );
  };
}
