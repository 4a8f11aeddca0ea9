// The JSON body of an MCP HTTP POST, read straight off the request: one size check, one
// JSON.parse. (express.json runs content-type sniffing, charset decoding and a stream pipeline
// per request, a visible share of a `query` call; MCP bodies are always UTF-8 JSON.)
import type { IncomingMessage } from 'node:http';

/** A request body the MCP endpoint cannot take; carries the HTTP status and JSON-RPC error code. */
export class McpBodyError extends Error {
  override readonly name = 'McpBodyError';

  constructor(
    readonly status: number,
    readonly rpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const unsupportedMediaType = () => new McpBodyError(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
export const bodyTooLarge = (limit: number) => new McpBodyError(413, -32000, `request body too large (limit ${limit} bytes)`);
export const bodyNotJson = () => new McpBodyError(400, -32700, 'Parse error: the body is not valid JSON');

// application/json or application/<x>+json, with optional parameters (charset=utf-8)
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

export function isJsonContentType(header: string | undefined): boolean {
  return header === 'application/json' || (header !== undefined && JSON_TYPE.test(header));
}

/** Parse the body as JSON; rejects with McpBodyError (415, 413 or 400) instead of reading junk. */
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
