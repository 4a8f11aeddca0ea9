// Sends a built request with the integration's credential added here and nowhere else: a timeout,
// a cap on the response size (read as a stream, cut off at the cap), redirects never followed (they
// could carry the credential elsewhere), and the answer scrubbed of every vault secret before anyone
// sees it — also when the upstream echoes the credential back. Idempotent methods are sent once more
// after a network error or a 502/503/504; others never are.
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

async function readCapped(res: Response, max: number, integration: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const tooLarge = () =>
    new AirlockError(
      `the ${integration} API answered with more than ${max} bytes (the integration's maxResponseBytes)`,
      SqlState.programLimitExceeded,
      502,
    );
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).byteLength;
    if (size > max) throw tooLarge();
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function sendOnce(
  req: BuiltRequest,
  target: { url: string; headers: Record<string, string> },
  opts: SendOptions,
): Promise<ApiResponse> {
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: req.method,
      headers: target.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw new AirlockError(`the ${opts.integration} API did not answer within ${opts.timeoutMs} ms`, SqlState.queryCanceled, 504);
    }
    throw hiddenFailure(`the ${opts.integration} API is unreachable`, SqlState.connectionFailure, 502, {
      err: scrubText(e.message),
      code: e.cause?.code,
    });
  }
  const text = scrubText(await readCapped(res, opts.maxResponseBytes, opts.integration));
  const type = res.headers.get('content-type') ?? '';
  let body: unknown = text;
  if (/json/i.test(type) && text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: type ? { 'content-type': type } : {}, body };
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
