// Request ids for HTTP requests: an incoming X-Request-Id is kept when it is a safe short token (so a
// load balancer's or client's id follows the request through Airlock's logs), else a new one is made.
import { randomUUID } from 'node:crypto';

/** letters, digits and . _ - only, at most 64: nothing that could confuse a log line or a header */
const SAFE = /^[A-Za-z0-9._-]{1,64}$/;

/** The request id of an incoming request: its X-Request-Id header when safe, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE.test(header) ? header : randomUUID();
}
