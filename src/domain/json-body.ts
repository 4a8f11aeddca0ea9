// The JSON body of a hot-path HTTP POST (MCP, the API proxy's /v1/call), read straight off the
// request: one size check, one JSON.parse. (express.json runs content-type sniffing, charset
// decoding and a stream pipeline per request, a visible share of a call; these bodies are UTF-8 JSON.)
import type { IncomingMessage } from 'node:http';

/** A request body the endpoint cannot take; carries the HTTP status, a SQLSTATE and the JSON-RPC error code. */
export class JsonBodyError extends Error {
  override readonly name = 'JsonBodyError';

  constructor(
    readonly status: number,
    readonly rpcCode: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export const unsupportedMediaType = () =>
  new JsonBodyError(415, -32000, 'Unsupported Media Type: Content-Type must be application/json', '22023');
export const bodyTooLarge = (limit: number) => new JsonBodyError(413, -32000, `request body too large (limit ${limit} bytes)`, '54000');
export const bodyNotJson = () => new JsonBodyError(400, -32700, 'Parse error: the body is not valid JSON', '22023');

// application/json or application/<x>+json, with optional parameters (charset=utf-8)
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

export function isJsonContentType(header: string | undefined): boolean {
  return header === 'application/json' || (header !== undefined && JSON_TYPE.test(header));
}

/** Parse the body as JSON; rejects with JsonBodyError (415, 413 or 400) instead of reading junk. */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!isJsonContentType(req.headers['content-type'])) return Promise.reject(unsupportedMediaType());
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(bodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume(); // drain the rest so the connection stays usable
      reject(bodyTooLarge(limit));
    };
    const onEnd = () => {
      try {
        const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
        resolve(JSON.parse(text));
      } catch {
        reject(bodyNotJson());
      }
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', reject);
  });
}
