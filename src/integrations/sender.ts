// Sends a built request (node:http/https, keep-alive) with the integration's credential added here and nowhere else: a timeout,
// a cap on the response size (read as a stream, cut off at the cap), redirects never followed (they
// could carry the credential elsewhere), and the answer scrubbed of every vault secret before anyone
// sees it — also when the upstream echoes the credential back. Idempotent methods are sent once more
// after a network error or a 502/503/504; others never are.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { AirlockError, SqlState, hiddenFailure } from '../errors.js';
import { registerSecret, scrubText } from '../domain/secret-values.js';
import type { ApiResponse } from '../domain/api-call.js';
import type { IntegrationAuth } from './definition.js';
import type { BuiltRequest } from './request-builder.js';

/** Reads a vault secret by name (404 when missing). */
export type SecretReader = (name: string) => Promise<string>;

export interface SendOptions {
  auth: IntegrationAuth;
  timeoutMs: number;
  maxResponseBytes: number;
  idempotent: boolean;
  integration: string;
}

async function withCredential(
  req: BuiltRequest,
  auth: IntegrationAuth,
  secret: SecretReader,
): Promise<{ url: string; headers: Record<string, string> }> {
  const headers = { ...req.headers };
  if (auth.type === 'none') return { url: req.url, headers };
  const value = await secret(auth.secret);
  registerSecret(value);
  switch (auth.type) {
    case 'bearer':
      headers.authorization = `Bearer ${value}`;
      break;
    case 'basic': {
      const pair = auth.username !== undefined ? `${auth.username}:${value}` : value.includes(':') ? value : `${value}:`;
      const encoded = Buffer.from(pair).toString('base64');
      registerSecret(encoded);
      headers.authorization = `Basic ${encoded}`;
      break;
    }
    case 'header':
      headers[auth.name.toLowerCase()] = `${auth.prefix}${value}`;
      break;
    case 'query': {
      const u = new URL(req.url);
      u.searchParams.set(auth.name, value);
      return { url: u.toString(), headers };
    }
  }
  return { url: req.url, headers };
}

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };

/** One exchange over node:http(s) with keep-alive: the body read up to the cap, then cut off. */
function exchange(
  req: BuiltRequest,
  target: { url: string; headers: Record<string, string> },
  opts: SendOptions,
): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(target.url);
  const secure = url.protocol === 'https:';
  const headers = { ...target.headers, ...(req.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(req.body)) }) };
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new AirlockError(
        `the ${opts.integration} API answered with more than ${opts.maxResponseBytes} bytes (the integration's maxResponseBytes)`,
        SqlState.programLimitExceeded,
        502,
      );
    const r = (secure ? httpsRequest : httpRequest)(
      url,
      { method: req.method, headers, agent: secure ? agents.https : agents.http },
      (res) => {
        if (Number(res.headers['content-length'] ?? 0) > opts.maxResponseBytes) {
          res.destroy();
          return reject(tooLarge());
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxResponseBytes) {
            res.destroy();
            return reject(tooLarge());
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    // one deadline for the whole exchange (connect, headers, body)
    const timer = setTimeout(() => r.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), opts.timeoutMs);
    r.on('close', () => clearTimeout(timer));
    r.on('error', reject);
    r.end(req.body);
  });
}

async function sendOnce(
  req: BuiltRequest,
  target: { url: string; headers: Record<string, string> },
  opts: SendOptions,
): Promise<ApiResponse> {
  let got: { status: number; type: string; text: string };
  try {
    got = await exchange(req, target, opts);
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    const e = err as Error & { code?: string };
    if (e.name === 'TimeoutError') {
      throw new AirlockError(`the ${opts.integration} API did not answer within ${opts.timeoutMs} ms`, SqlState.queryCanceled, 504);
    }
    throw hiddenFailure(`the ${opts.integration} API is unreachable`, SqlState.connectionFailure, 502, {
      err: scrubText(e.message),
      code: e.code,
    });
  }
  const text = scrubText(got.text);
  let body: unknown = text;
  if (/json/i.test(got.type) && text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: got.status, headers: got.type ? { 'content-type': got.type } : {}, body };
}

/** Send the request once (twice for idempotent methods after a transient failure). */
export async function send(req: BuiltRequest, secret: SecretReader, opts: SendOptions): Promise<ApiResponse> {
  const target = await withCredential(req, opts.auth, secret);
  try {
    const first = await sendOnce(req, target, opts);
    if (!opts.idempotent || ![502, 503, 504].includes(first.status)) return first;
  } catch (err) {
    if (!opts.idempotent || !(err instanceof AirlockError) || err.code !== SqlState.connectionFailure) throw err;
  }
  return sendOnce(req, target, opts);
}
