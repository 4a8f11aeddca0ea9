// Every HTTP error is JSON with the SQLSTATE-style code and a clear message.
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { asAirlockError, AirlockError } from '../errors.js';
import { logger } from '../logger.js';

/** A JSON answer on a plain node:http response (express's `res` is one too): no middleware needed. */
export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = asAirlockError(err);
  const status = e instanceof AirlockError && e.httpStatus >= 400 && e.httpStatus < 600 ? e.httpStatus : 500;
  if (status >= 500) logger.error({ err: e.message, requestId: res.req?.headers['x-request-id'] }, 'http request failed');
  const retry = (e as { retryAfterSeconds?: number }).retryAfterSeconds;
  if (retry !== undefined) res.setHeader('Retry-After', String(retry));
  writeJson(res, status, { error: { code: e.code, message: e.message } });
}

/** Express's last handler: body-parser errors (bad JSON, too large) become 4xx JSON too. */
export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : undefined;
  if (status) {
    res.status(status).json({
      error: {
        code: status === 413 ? '54000' : '22023',
        message: err.type === 'entity.too.large' ? 'request body too large' : `invalid request: ${err.message}`,
      },
    });
    return;
  }
  sendError(res, err);
};
