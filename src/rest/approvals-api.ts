// Reviewer HTTP API: list, show, approve and deny approvals; make, list and revoke standing approvals
// ("always allow"); revert an executed write; read and verify the audit trail.
import { Router, json } from 'express';
import { z } from 'zod';
import type { GatewayPort } from '../gateway/port.js';
import { APPROVAL_STATUSES } from '../domain/approval.js';
import { invalidParameterValue } from '../errors.js';
import { formatIssues } from '../domain/issues.js';
import { parseDuration } from '../domain/duration.js';
import { sendError } from './http-errors.js';
import { reviewerAuth } from './reviewer-auth.js';

const listQuery = z.object({
  status: z.enum(APPROVAL_STATUSES).optional(),
  agent: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const actionBody = z.object({ comment: z.string().max(4000).optional() }).strict();
const alwaysBody = z
  .object({
    condition: z.string().min(1).max(4000).optional(),
    /** how long from now, e.g. "24h" */
    expires: z.string().max(40).optional(),
    /** or when, ms since the epoch */
    expiresAt: z.number().int().positive().optional(),
    maxUses: z.number().int().min(1).max(1_000_000_000).optional(),
    comment: z.string().max(4000).optional(),
  })
  .strict();
const standingQuery = z.object({
  agent: z.string().max(200).optional(),
  all: z.enum(['true', 'false', '1', '0']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
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
      const reviewer = String(res.locals.reviewer);
      res.json({ approvals: (await gateway.listApprovals(q)).map((r) => gateway.reviewView(r, reviewer)) });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/approvals/:id', async (req, res) => {
    try {
      res.json({ approval: gateway.reviewView(await gateway.getApproval(req.params.id), String(res.locals.reviewer)) });
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

  router.post('/approvals/:id/always', async (req, res) => {
    try {
      const b = parse(alwaysBody, req.body, 'body');
      if (b.expires !== undefined && b.expiresAt !== undefined) throw invalidParameterValue('give expires or expiresAt, not both');
      const expiresAt = b.expires !== undefined ? Date.now() + parseDuration(b.expires, 'expires') : b.expiresAt;
      const standing = await gateway.alwaysAllow(req.params.id, res.locals.reviewer as string, {
        condition: b.condition,
        expiresAt,
        maxUses: b.maxUses,
        comment: b.comment,
      });
      res.status(201).json({ standing });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.post('/approvals/:id/revert', async (req, res) => {
    try {
      const { comment } = parse(actionBody, req.body, 'body');
      res.status(201).json({ approval: await gateway.revertApproval(req.params.id, res.locals.reviewer as string, comment) });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.get('/standing', async (req, res) => {
    try {
      const q = parse(standingQuery, req.query, 'query');
      res.json({ standing: await gateway.listStanding({ agent: q.agent, all: q.all === 'true' || q.all === '1', limit: q.limit }) });
    } catch (err) {
      sendError(res, err);
    }
  });

  router.delete('/standing/:id', async (req, res) => {
    try {
      res.json({ standing: await gateway.revokeStanding(req.params.id, res.locals.reviewer as string) });
    } catch (err) {
      sendError(res, err);
    }
  });

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
