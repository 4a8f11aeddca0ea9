// From a method and its checked arguments to the exact HTTP request: path parameters percent-encoded
// (a "/" stays inside its segment; "." and ".." are refused, since URL parsing would resolve them),
// the other arguments in the query string (GET, HEAD, DELETE, or names listed in `query`) or in the
// body (JSON, form-encoded with Stripe's bracket style, or a GraphQL envelope). Credentials are not
// part of this request: they are added at send time (sender.ts), so nothing built here can leak them.
import type { ApiRequestView } from '../domain/api-call.js';
import { invalidParameterValue } from '../errors.js';
import type { CompiledMethod } from './registry.js';

export interface BuiltRequest {
  method: string;
  /** base URL + path + query, without any credential */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** what a reviewer and the agent are shown */
  view: ApiRequestView;
}

const BODY_VERBS = new Set(['POST', 'PUT', 'PATCH']);

/** Flattens a value into key/value pairs: a[b]=1, a[]=x (form and query encoding). */
function flatten(prefix: string, value: unknown, out: [string, string][]): void {
  if (value === undefined) return;
  if (value === null) out.push([prefix, '']);
  else if (Array.isArray(value)) value.forEach((v) => flatten(`${prefix}[]`, v, out));
  else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) flatten(`${prefix}[${k}]`, v, out);
  else out.push([prefix, String(value)]);
}

function encodePairs(values: Record<string, unknown>): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(values)) flatten(k, v, pairs);
  return new URLSearchParams(pairs).toString();
}

function pathOf(m: CompiledMethod, args: Record<string, unknown>): string {
  return m.path.replace(/\{([^}/]+)\}/g, (_, name: string) => {
    const raw = String(args[name]);
    if (raw === '.' || raw === '..') throw invalidParameterValue(`path parameter "${name}" cannot be "${raw}"`);
    return encodeURIComponent(raw);
  });
}

export function buildRequest(m: CompiledMethod, args: Record<string, unknown>, opts: { idempotencyKey?: string } = {}): BuiltRequest {
  const integration = m.integration;
  const rest: Record<string, unknown> = {};
  const query: Record<string, unknown> = {};
  const inBody = BODY_VERBS.has(m.verb);
  const bodyArg = m.def.bodyArg;
  for (const [k, v] of Object.entries(args)) {
    if (m.pathParams.includes(k)) continue;
    if (!inBody || m.def.query.includes(k) || (bodyArg !== undefined && k !== bodyArg)) query[k] = v;
    else rest[k] = v;
  }
  const qs = encodePairs(query);
  const url = `${integration.baseUrl.replace(/\/+$/, '')}${pathOf(m, args)}${qs ? `?${qs}` : ''}`;
  const headers: Record<string, string> = { accept: 'application/json', ...integration.headers };
  if (opts.idempotencyKey && integration.idempotencyHeader) headers[integration.idempotencyHeader] = opts.idempotencyKey;
  let body: string | undefined;
  let shown: unknown;
  if (m.def.graphql !== undefined) {
    shown = { query: m.def.graphql, variables: rest };
    body = JSON.stringify(shown);
    headers['content-type'] = 'application/json';
  } else if (inBody && bodyArg !== undefined) {
    shown = rest[bodyArg];
    if (shown !== undefined) {
      body = JSON.stringify(shown);
      headers['content-type'] = 'application/json';
    }
  } else if (inBody && integration.bodyEncoding === 'form') {
    shown = rest;
    body = encodePairs(rest);
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (inBody) {
    shown = rest;
    body = JSON.stringify(rest);
    headers['content-type'] = 'application/json';
  }
  return { method: m.verb, url, headers, body, view: { method: m.verb, url, ...(shown === undefined ? {} : { body: shown }) } };
}
