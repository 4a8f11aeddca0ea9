// POST /v1/call/{integration}/{method} {"args": {...}}, served ahead of express: the API proxy's
// hot path reads the body with one JSON.parse and answers with one write, like MCP's /mcp.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayPort } from '../gateway/port.js';
import type { Agent } from '../domain/request.js';
import { JsonBodyError, readJsonBody } from '../domain/json-body.js';
import { invalidParameterValue } from '../errors.js';
import { sendError, writeJson } from './http-errors.js';
import { answer } from './api-proxy.js';

const CALL_PATH = /^\/v1\/call\/([^/?#]+)\/([^/?#]+)\/?(?:[?#].*)?$/;

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalidParameterValue('the path is not valid percent-encoding');
  }
}

/** The front handler: true when it took the request. */
export function apiCallFront(gateway: GatewayPort, agentOf: (req: IncomingMessage) => Agent | Promise<Agent>) {
  const limit = gateway.config.mcp.maxBodyBytes;

  async function handle(req: IncomingMessage, res: ServerResponse, integration: string, method: string): Promise<void> {
    // start reading the body at once; it is only used once the token checks out
    const body = readJsonBody(req, limit);
    body.catch(() => undefined);
    const agent = await agentOf(req);
    let parsed: unknown;
    try {
      parsed = (await body) ?? {};
    } catch (err) {
      // an authenticated agent's body that does not parse (bad JSON, too large): audited, then a 4xx
      gateway.record({
        type: 'error',
        door: 'api',
        agent: agent.name,
        data: { path: req.url?.slice(0, 300), error: (err as Error).message },
      });
      throw err;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw invalidParameterValue('the body must be {"args": {...}}');
    const args = (parsed as { args?: unknown }).args ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw invalidParameterValue('"args" must be a JSON object');
    answer(res, await gateway.callApi({ agent, door: 'api', integration, method, args: args as Record<string, unknown> }));
  }

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'POST') return false;
    const m = CALL_PATH.exec(req.url ?? '');
    if (!m) return false;
    Promise.resolve()
      .then(() => handle(req, res, decoded(m[1]), decoded(m[2])))
      .catch((err: unknown) => {
        if (err instanceof JsonBodyError) return writeJson(res, err.status, { error: { code: err.code, message: err.message } });
        sendError(res, err);
      });
    return true;
  };
}
