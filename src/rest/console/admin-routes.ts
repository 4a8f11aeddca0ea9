// The console's agents and policy page: agents (create with the token shown once, with a ready
// connection string and MCP config; revoke: admins only), the rules in force per agent, and the
// integrations and vault secret names (never values).
import { Router } from 'express';
import { z } from 'zod';
import type { GatewayPort } from '../../gateway/port.js';
import { sendError } from '../http-errors.js';
import { parseInput } from './approval-routes.js';
import { baseUrl, requireAdmin, sessionOf } from './session-auth.js';

const createBody = z.object({ name: z.string().min(1).max(63) }).strict();
const policyQuery = z.object({ agent: z.string().max(200).optional() });

export interface AdminOptions {
  /** http.publicUrl when configured (else the origin the browser used) */
  publicUrl?: string;
  /** where the wire proxy listens (known only once it runs; port 0 in tests) */
  wireAddress?: () => { host: string; port: number } | null;
}

/** Ready-to-paste ways for an agent to connect: psql/libpq URL and an MCP client config. */
export function connectionHelp(gateway: GatewayPort, opts: AdminOptions & { base: string }, name: string, token: string) {
  const wire = opts.wireAddress?.() ?? null;
  const base = opts.base;
  const db = gateway.defaultDatabase;
  const url = wire
    ? `postgresql://${encodeURIComponent(name)}:${encodeURIComponent(token)}@${wire.host}:${wire.port}/${encodeURIComponent(db)}`
    : null;
  return {
    postgresUrl: url,
    psql: url ? `psql "${url}"` : null,
    mcp: { mcpServers: { airlock: { url: `${base}/mcp`, headers: { Authorization: `Bearer ${token}` } } } },
  };
}

export function adminRoutes(gateway: GatewayPort, opts: AdminOptions): Router {
  const router = Router();

  router.get('/agents', async (_req, res) => {
    try {
      res.json({ agents: await gateway.listAgents(), admin: sessionOf(res).admin });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.post('/agents', requireAdmin, async (req, res) => {
    try {
      const { name } = parseInput(createBody, req.body, 'body');
      const { agent, token } = await gateway.createAgent(name, sessionOf(res).reviewer);
      const base = baseUrl(req, opts.publicUrl);
      res.status(201).json({ agent, token, connect: connectionHelp(gateway, { ...opts, base }, agent.name, token) });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.post('/agents/:name/revoke', requireAdmin, async (req, res) => {
    try {
      res.json({ agent: await gateway.revokeAgent(String(req.params.name), sessionOf(res).reviewer) });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/policy', (req, res) => {
    try {
      const { agent } = parseInput(policyQuery, req.query, 'query');
      res.json({ policy: gateway.effectivePolicy(agent || undefined) });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/integrations', async (_req, res) => {
    try {
      res.json(await gateway.listIntegrations());
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/reviewers', async (_req, res) => {
    try {
      res.json({ reviewers: await gateway.listReviewers() });
    } catch (err) {
      sendError(res, err);
    }
  });
  return router;
}
