// Reviewers authenticate to the HTTP API with a bearer token from the config (`reviewers:`).
import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { AirlockConfig } from '../config/schema.js';
import { invalidAuthorization } from '../errors.js';
import { sendError } from './http-errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : null;
}

/** Sets res.locals.reviewer to the reviewer's name, or answers 401. */
export function reviewerAuth(reviewers: AirlockConfig['reviewers']): RequestHandler {
  const known = reviewers.map((r) => ({ name: r.name, hash: digest(r.token) }));
  return (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    const hash = token ? digest(token) : null;
    const reviewer = hash ? known.find((r) => timingSafeEqual(r.hash, hash)) : undefined;
    if (!reviewer) {
      sendError(res, invalidAuthorization('reviewer token missing or wrong (Authorization: Bearer <token>)'));
      return;
    }
    res.locals.reviewer = reviewer.name;
    next();
  };
}
