// The console's approvals: the live list (server-sent events name what changed), one approval with
// its review facts and history, approve and deny as the signed-in reviewer.
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { GatewayPort } from '../../gateway/port.js';
import { APPROVAL_STATUSES } from '../../domain/approval.js';
import { DOORS } from '../../domain/request.js';
import type { ApprovalRecord } from '../../domain/approval.js';
import { invalidParameterValue } from '../../errors.js';
import { formatIssues } from '../../config/load.js';
import { logger } from '../../logger.js';
import { sendError } from '../http-errors.js';
import { SESSION_COOKIE, readCookie, sessionOf } from './session-auth.js';

const listQuery = z.object({
  status: z.union([z.enum(APPROVAL_STATUSES), z.literal('all')]).default('pending'),
  agent: z.string().max(200).optional(),
  door: z.enum(DOORS).optional(),
  database: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});
const actionBody = z.object({ comment: z.string().max(4000).optional() }).strict();

export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidParameterValue(`invalid ${what}: ${formatIssues(r.error.issues)}`);
  return r.data;
}

/** What the console shows of an approval: the record without internal hashes, plus review facts. */
export function approvalView(gateway: GatewayPort, stored: ApprovalRecord, reviewer: string) {
  const rec = gateway.reviewView(stored, reviewer);
  const { binding: _binding, requestKey: _requestKey, ...shown } = rec;
  return { ...shown, reviewUrl: gateway.reviewUrl(rec.id), facts: gateway.reviewFacts(rec) };
}

const HEARTBEAT_MS = 15_000;

/** Server-sent events: `approval` names a changed approval; `session` says the session ended. */
function streamChanges(gateway: GatewayPort, token: string, res: Response): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  const unsubscribe = gateway.watchApprovals((change) => {
    res.write(`event: approval\ndata: ${JSON.stringify(change)}\n\n`);
  });
  const heartbeat = setInterval(() => {
    void gateway
      .reviewerSession(token)
      .then((s) => {
        if (s) return void res.write(': ping\n\n');
        res.write('event: session\ndata: "expired"\n\n');
        res.end();
      })
      .catch((err) => logger.warn({ err: (err as Error).message }, 'console events: session check failed'));
  }, HEARTBEAT_MS);
  heartbeat.unref();
  res.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}

export function approvalRoutes(gateway: GatewayPort): Router {
  const router = Router();

  router.get('/approvals', async (req, res) => {
    try {
      const q = parseInput(listQuery, req.query, 'query');
      const recs = await gateway.listApprovals({
        ...(q.status === 'all' ? {} : { status: q.status }),
        ...(q.agent ? { agent: q.agent } : {}),
        limit: q.limit,
      });
      const shown = recs.filter((r) => (!q.door || r.door === q.door) && (!q.database || r.database === q.database));
      const reviewer = sessionOf(res).reviewer;
      res.json({ approvals: shown.map((r) => approvalView(gateway, r, reviewer)), now: Date.now() });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/approvals/:id', async (req, res) => {
    try {
      const rec = await gateway.getApproval(req.params.id);
      const history = await gateway.listAudit({ approvalId: rec.id, order: 'asc', limit: 500 });
      res.json({ approval: approvalView(gateway, rec, sessionOf(res).reviewer), history, now: Date.now() });
    } catch (err) {
      sendError(res, err);
    }
  });

  for (const action of ['approve', 'deny'] as const) {
    router.post(`/approvals/:id/${action}`, async (req, res) => {
      try {
        const { comment } = parseInput(actionBody, req.body, 'body');
        const reviewer = sessionOf(res).reviewer;
        const text = comment?.trim() || undefined;
        const rec =
          action === 'approve' ? await gateway.approve(req.params.id, reviewer, text) : await gateway.deny(req.params.id, reviewer, text);
        res.json({ approval: approvalView(gateway, rec, reviewer) });
      } catch (err) {
        sendError(res, err);
      }
    });
  }

  router.get('/events', (req, res) => {
    streamChanges(gateway, readCookie(req, SESSION_COOKIE) ?? '', res);
  });
  return router;
}
