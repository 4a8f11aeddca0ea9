// Reviewer HTTP API: list, show, approve and deny approvals; read and verify the audit trail.
import { Router, json } from 'express';
import { z } from 'zod';
import type { GatewayPort } from '../gateway/port.js';
import { APPROVAL_STATUSES } from '../domain/approval.js';
import { invalidParameterValue } from '../errors.js';
import { formatIssues } from '../domain/issues.js';
import { sendError } from './http-errors.js';
import { reviewerAuth } from './reviewer-auth.js';

const listQuery = z.object({
  status: z.enum(APPROVAL_STATUSES).optional(),
  agent: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const actionBody = z.object({ comment: z.string().max(4000).optional() }).strict();
const auditQuery = z.object({
  agent: z.string().max(200).optional(),
  decision: z.enum(['auto', 'ask', 'block']).optional(),
  table: z.string().max(200).optional(),
  type: z.string().max(100).optional(),
  since: z.coerce.number().int().optional(),
  until: z.coerce.number().int().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidParameterValue(`invalid ${what}: ${formatIssues(r.error.issues)}`);
  return r.data;
}

export function approvalsApi(gateway: GatewayPort): Router {
  const router = Router();
  router.use(reviewerAuth(gateway));
  router.use(json({ limit: '64kb' }));

  router.get('/approvals', async (req, res) => {
    try {
      const q = parse(listQuery, req.query, 'query');
      res.json({ approvals: await gateway.listApprovals(q) });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/approvals/:id', async (req, res) => {
    try {
      res.json({ approval: await gateway.getApproval(req.params.id) });
    } catch (err) {
      sendError(res, err);
    }
  });

  for (const action of ['approve', 'deny'] as const) {
    router.post(`/approvals/:id/${action}`, async (req, res) => {
      try {
        const { comment } = parse(actionBody, req.body, 'body');
        const reviewer = res.locals.reviewer as string;
        const rec =
          action === 'approve'
            ? await gateway.approve(req.params.id, reviewer, comment)
            : await gateway.deny(req.params.id, reviewer, comment);
        res.json({ approval: rec });
      } catch (err) {
        sendError(res, err);
      }
    });
  }

  router.get('/audit', async (req, res) => {
    try {
      const q = parse(auditQuery, req.query, 'query');
      res.json({ events: await gateway.listAudit(q) });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/audit/verify', async (_req, res) => {
    try {
      res.json(await gateway.verifyAudit());
    } catch (err) {
      sendError(res, err);
    }
  });
  return router;
}
