// The console's audit page: filtered events (newest first, paged by seq), chain verification, and
// a JSON-lines download of the same filter, streamed.
import { Router } from 'express';
import { z } from 'zod';
import type { GatewayPort } from '../../gateway/port.js';
import { DOORS } from '../../domain/request.js';
import type { AuditFilter } from '../../domain/audit.js';
import { sendError } from '../http-errors.js';
import { parseInput } from './approval-routes.js';

const text = z.string().trim().max(200).optional();
const auditQuery = z.object({
  agent: text,
  door: z.enum(DOORS).optional(),
  decision: z.enum(['auto', 'ask', 'block']).optional(),
  /** a table, or an integration (matched against the database column) */
  table: text,
  search: text,
  type: text,
  approvalId: text,
  since: z.coerce.number().int().nonnegative().optional(),
  until: z.coerce.number().int().nonnegative().optional(),
  /** events older than this seq (the next page) */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

type AuditQuery = z.infer<typeof auditQuery>;

/** Empty text means "no filter"; `table` also finds integrations (API calls name them as the database). */
function toFilter(q: AuditQuery): AuditFilter[] {
  const base: AuditFilter = {};
  for (const key of ['agent', 'door', 'decision', 'search', 'type', 'approvalId', 'since', 'until'] as const) {
    const v = q[key];
    if (v !== undefined && v !== '') Object.assign(base, { [key]: v });
  }
  if (!q.table) return [base];
  return [
    { ...base, table: q.table },
    { ...base, database: q.table, door: 'api' },
  ];
}

export function auditRoutes(gateway: GatewayPort): Router {
  const router = Router();

  router.get('/audit', async (req, res) => {
    try {
      const q = parseInput(auditQuery, req.query, 'query');
      const filters = toFilter(q);
      const pages = await Promise.all(
        filters.map((f) => gateway.listAudit({ ...f, ...(q.before ? { beforeSeq: q.before } : {}), limit: q.limit })),
      );
      const seen = new Set<number>();
      const events = pages
        .flat()
        .filter((e) => !seen.has(e.seq) && seen.add(e.seq))
        .sort((a, b) => b.seq - a.seq)
        .slice(0, q.limit);
      res.json({ events, more: events.length === q.limit });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/audit/verify', async (_req, res) => {
    try {
      res.json({ verify: await gateway.verifyAudit(), at: Date.now() });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/audit/export', async (req, res) => {
    try {
      const q = parseInput(auditQuery, req.query, 'query');
      const [filter] = toFilter({ ...q, table: undefined });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="airlock-audit-${stamp}.jsonl"`);
      res.setHeader('Cache-Control', 'no-store');
      await gateway.exportAudit(res, { ...filter, ...(q.table ? { table: q.table } : {}) });
      res.end();
    } catch (err) {
      if (res.headersSent) res.destroy(err as Error);
      else sendError(res, err);
    }
  });
  return router;
}
