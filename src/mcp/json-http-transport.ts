// Streamable HTTP for one stateful MCP session, answered in the spec's JSON response mode, written
// straight on Node's req/res. The SDK's StreamableHTTPServerTransport turns every request into a
// web-standard Request and its answer into a Response (through @hono/node-server) and validates
// each message several times with zod; on the `query` hot path that cost more than the query. This
// does the same protocol work (session id, protocol version header, batches, 202 for notifications,
// one JSON answer once every request of the POST is answered) without it. There is no
// server-to-client stream: Airlock sends no server-initiated messages, so GET gets 405, which the
// spec allows and SDK clients expect.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isInitializeRequest,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

/** Most messages in one JSON-RPC batch (the SDK's own limit). */
export const MAX_BATCH_SIZE = 100;

/** One POST waiting for the answers to its requests. */
interface Exchange {
  res: ServerResponse;
  ids: RequestId[];
  answers: Map<RequestId, JSONRPCMessage>;
}

export interface JsonHttpTransportOptions {
  /** called once the initialize request has been given a session id */
  onsessioninitialized?: (sessionId: string) => void;
}

/** A JSON-RPC error answer with no id, as the SDK transport sends for HTTP-level refusals. */
export function writeRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

const isRequest = (m: JSONRPCMessage) => 'method' in m && 'id' in m;

/**
 * The common shape, checked without zod: a JSON-RPC request with a string or integer id and no
 * `_meta` in its params, and no other keys. Exactly what JSONRPCMessageSchema accepts as a request
 * for these inputs; anything else goes through the schema.
 */
function plainRequest(m: unknown): m is JSONRPCMessage {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const r = m as Record<string, unknown>;
  if (r.jsonrpc !== '2.0' || typeof r.method !== 'string' || !(typeof r.id === 'string' || Number.isInteger(r.id))) return false;
  const p = r.params;
  if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p) || '_meta' in p)) return false;
  for (const k in r) if (k !== 'jsonrpc' && k !== 'id' && k !== 'method' && k !== 'params') return false;
  return true;
}
const isAnswer = (m: JSONRPCMessage) => 'id' in m && ('result' in m || 'error' in m);

export class JsonHttpTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private readonly waiting = new Map<RequestId, Exchange>();
  private closed = false;

  constructor(private readonly opts: JsonHttpTransportOptions = {}) {}

  async start(): Promise<void> {}

  /** Answer one HTTP request of this session; `body` is the parsed JSON of a POST. */
  handleRequest(req: IncomingMessage, res: ServerResponse, body?: unknown): void {
    if (this.closed) return writeRpcError(res, 404, -32001, 'Session not found');
    if (req.method === 'POST') return this.post(req, res, body);
    const version = this.checkVersion(req, res);
    if (!version) return;
    if (req.method === 'DELETE') {
      res.writeHead(200).end();
      void this.close();
      return;
    }
    writeRpcError(res, 405, -32000, 'Method Not Allowed: this server sends no server-initiated messages; use POST', {
      allow: 'POST, DELETE',
    });
  }

  private post(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const accept = req.headers.accept;
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
      return writeRpcError(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    const raw = Array.isArray(body) ? body : [body];
    if (raw.length > MAX_BATCH_SIZE)
      return writeRpcError(res, 400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH_SIZE} messages`);
    const messages: JSONRPCMessage[] = [];
    for (const m of raw) {
      if (plainRequest(m)) {
        messages.push(m);
        continue;
      }
      const parsed = JSONRPCMessageSchema.safeParse(m);
      if (!parsed.success) return writeRpcError(res, 400, -32700, 'Parse error: Invalid JSON-RPC message');
      messages.push(parsed.data);
    }
    const init = messages.some((m) => 'method' in m && m.method === 'initialize' && isInitializeRequest(m));
    if (init) {
      if (this.sessionId !== undefined) return writeRpcError(res, 400, -32600, 'Invalid Request: Server already initialized');
      if (messages.length > 1) return writeRpcError(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
      this.sessionId = randomUUID();
      this.opts.onsessioninitialized?.(this.sessionId);
    } else {
      if (this.sessionId === undefined) return writeRpcError(res, 400, -32000, 'Bad Request: Server not initialized');
      if (req.headers['mcp-session-id'] !== this.sessionId) return writeRpcError(res, 404, -32001, 'Session not found');
      if (!this.checkVersion(req, res)) return;
    }
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers } };
    const ids = messages.filter(isRequest).map((m) => (m as { id: RequestId }).id);
    if (ids.length === 0) {
      res.writeHead(202).end();
      for (const m of messages) this.onmessage?.(m, extra);
      return;
    }
    if (new Set(ids).size !== ids.length || ids.some((id) => this.waiting.has(id))) {
      return writeRpcError(res, 400, -32600, 'Invalid Request: a request id is already in use in this session');
    }
    const exchange: Exchange = { res, ids, answers: new Map() };
    for (const id of ids) this.waiting.set(id, exchange);
    for (const m of messages) this.onmessage?.(m, extra);
  }

  /** A present MCP-Protocol-Version header must name a version the SDK speaks (else 400). */
  private checkVersion(req: IncomingMessage, res: ServerResponse): boolean {
    const v = req.headers['mcp-protocol-version'];
    if (v === undefined || SUPPORTED_PROTOCOL_VERSIONS.includes(v as string)) return true;
    writeRpcError(
      res,
      400,
      -32000,
      `Bad Request: Unsupported protocol version: ${String(v)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
    );
    return false;
  }

  async send(message: JSONRPCMessage): Promise<void> {
    // notifications and requests from the server would need an SSE stream; JSON mode has none
    // (the SDK transport drops them too in this mode)
    if (!isAnswer(message)) return;
    const id = (message as { id: RequestId }).id;
    const exchange = this.waiting.get(id);
    if (!exchange) throw new Error(`No connection established for request ID: ${String(id)}`);
    this.waiting.delete(id);
    exchange.answers.set(id, message);
    if (exchange.answers.size < exchange.ids.length) return;
    const { res } = exchange;
    if (res.headersSent || res.destroyed) return; // the client went away; nothing to deliver
    const answers = exchange.ids.map((i) => exchange.answers.get(i));
    res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': this.sessionId ?? '' });
    res.end(JSON.stringify(answers.length === 1 ? answers[0] : answers));
  }

  /** End the session: POSTs still waiting get 404 (the session is gone), then onclose. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const exchange of new Set(this.waiting.values()))
      writeRpcError(exchange.res, 404, -32001, 'Session not found: the session was closed');
    this.waiting.clear();
    this.onclose?.();
  }
}
