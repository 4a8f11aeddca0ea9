// The API proxy's HTTP door (mounted by `airlock serve`): agents call integrations with their own
// bearer token and never see a credential.
//   POST /v1/call/{integration}/{method}  {"args": {...}}  → 200 done | 202 pending | 403 block | 4xx
//   GET  /v1/approvals/{id}                                → the agent's own approval, with the response once executed
//   ANY  /proxy/{integration}/{path…}                      → vendor-style: mapped to a method by verb and path
//                                                            template; unmapped routes are refused, never sent
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Response, type NextFunction } from 'express';
import type { ApiCallOutcome } from '../domain/api-call.js';
import type { Agent } from '../domain/request.js';
import type { GatewayPort } from '../gateway/port.js';
import { invalidAuthorization } from '../errors.js';
import { bearerToken } from './reviewer-auth.js';
import { sendError, writeJson } from './http-errors.js';
import { TokenCache } from '../domain/token-cache.js';

type Locals = { agent: Agent };

/** Agent bearer tokens, trusted for mcp.tokenCacheMs (1 s) like MCP's: revocation bites within that bound. */
export function agentTokens(gateway: GatewayPort): (req: IncomingMessage) => Agent | Promise<Agent> {
  const cache = new TokenCache(gateway.config.mcp.tokenCacheMs);
  gateway.onAgentRevoked(() => cache.clear());
  return (req) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) throw invalidAuthorization('agent token missing: send Authorization: Bearer <agent token>');
    const hit = cache.peek(token);
    if (hit) return hit;
    const remote = req.socket.remoteAddress ?? 'unknown';
    return cache
      .authenticate(token, (t) => gateway.authenticateToken(t, 'api', remote))
      .then((agent) => {
        if (!agent) throw invalidAuthorization('agent token unknown or revoked');
        return agent;
      });
  };
}

function agentAuth(agentOf: ReturnType<typeof agentTokens>) {
  return (req: Request, res: Response<unknown, Locals>, next: NextFunction) => {
    try {
      const agent = agentOf(req);
      if (!(agent instanceof Promise)) {
        res.locals.agent = agent;
        return next();
      }
      agent.then(
        (a) => {
          res.locals.agent = a;
          next();
        },
        (err: unknown) => sendError(res, err),
      );
    } catch (err) {
      sendError(res, err);
    }
  };
}

/** The Airlock envelope of an outcome (the /v1/call answer; /proxy answers `done` transparently). */
export function answer(res: ServerResponse, o: ApiCallOutcome): void {
  switch (o.status) {
    case 'done':
      return writeJson(res, 200, { status: 'done', response: o.response });
    case 'pending':
      return writeJson(res, 202, { status: 'pending', approval_id: o.approvalId, review_url: o.reviewUrl, request: o.request });
    case 'blocked':
      return writeJson(res, 403, { error: { code: o.error.code, message: o.error.message, rule: o.decision.rule } });
    default:
      sendError(res, o.error);
  }
}

/** GET /v1/approvals/:id and /proxy/... (POST /v1/call is served ahead of express by api-call-front.ts). */
export function apiProxyRouter(gateway: GatewayPort, agentOf: ReturnType<typeof agentTokens>): express.Router {
  const router = express.Router();
  const limit = gateway.config.mcp.maxBodyBytes;
  const json = express.json({ limit, type: ['application/json', 'application/*+json'] });
  const form = express.urlencoded({ limit, extended: true });
  const auth = agentAuth(agentOf);

  router.get('/v1/approvals/:id', auth, async (req: Request, res: Response<unknown, Locals>) => {
    try {
      res.json(await gateway.apiApproval(String(req.params.id), res.locals.agent.id));
    } catch (err) {
      sendError(res, err);
    }
  });

  router.all('/proxy/:integration/{*rest}', auth, json, form, async (req: Request, res: Response<unknown, Locals>) => {
    try {
      const integration = String(req.params.integration);
      // the raw path after /proxy/{integration}: matched against templates, parameters decoded once
      const raw = req.originalUrl.split('?')[0];
      const path = raw.slice(raw.indexOf(`/proxy/${integration}`) + `/proxy/${integration}`.length) || '/';
      const { method, pathArgs } = gateway.routeApi(integration, req.method, path);
      const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
      const args = { ...(req.query as Record<string, unknown>), ...body, ...pathArgs };
      const o = await gateway.callApi({ agent: res.locals.agent, door: 'api', integration, method, args });
      if (o.status === 'done') {
        const r = o.response;
        res.status(r.status);
        if (typeof r.body === 'string') res.type(r.headers?.['content-type'] ?? 'text/plain').send(r.body);
        else res.json(r.body);
        return;
      }
      answer(res, o);
    } catch (err) {
      sendError(res, err);
    }
  });
  // an authenticated agent's body that does not parse (bad JSON, too large): audited, then the usual 4xx JSON
  router.use((err: unknown, req: Request, res: Response<unknown, Partial<Locals>>, next: NextFunction) => {
    gateway.record({
      type: 'error',
      door: 'api',
      agent: res.locals.agent?.name ?? null,
      data: { path: req.path.slice(0, 300), error: err instanceof Error ? err.message.slice(0, 300) : String(err).slice(0, 300) },
    });
    next(err);
  });
  return router;
}
