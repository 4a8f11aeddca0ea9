// Slack's interactivity endpoint (POST /slack/interactivity): the raw body is checked against
// Slack's signature and timestamp before anything is parsed; refusals are audited and answered
// with 4xx JSON; a valid button click becomes an approve or deny as the mapped reviewer.
import express, { Router, type Express } from 'express';
import { z } from 'zod';
import type { GatewayPort } from '../gateway/port.js';
import type { SlackConfig } from '../config/schema.js';
import { asAirlockError, invalidAuthorization, invalidParameterValue } from '../errors.js';
import { logger } from '../logger.js';
import { ACTION_APPROVE, ACTION_DENY } from './slack-blocks.js';
import { SlackApprovals } from './slack-app.js';
import { SlackVerifier } from './slack-verify.js';

export const SLACK_PATH = '/slack/interactivity';

const payloadSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1).max(40) }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(100).optional() })).min(1),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  message: z.object({ ts: z.string() }).optional(),
});

/** The Slack door: posts approvals, and serves the interactivity endpoint when mounted. */
export interface SlackDoor {
  app: SlackApprovals;
  mount(app: Express): void;
  close(): Promise<void>;
}

export function createSlackDoor(gateway: GatewayPort, config: SlackConfig): SlackDoor {
  const slack = new SlackApprovals(gateway, config);
  const verifier = new SlackVerifier(config.signingSecret, config.maxAgeSeconds);
  const router = Router();

  router.post(SLACK_PATH, express.raw({ type: () => true, limit: '128kb' }), async (req, res) => {
    const remote = req.socket.remoteAddress;
    try {
      const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const verdict = verifier.verify(
        { timestamp: req.headers['x-slack-request-timestamp'], signature: req.headers['x-slack-signature'] },
        raw,
      );
      if (!verdict.ok) {
        gateway.record({ type: 'auth.failed', door: 'rest', data: { via: 'slack', reason: verdict.reason, remote } });
        throw invalidAuthorization(`Slack request refused: ${verdict.reason}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(new URLSearchParams(raw).get('payload') ?? '');
      } catch {
        throw invalidParameterValue('Slack request has no JSON payload');
      }
      const parsed = payloadSchema.safeParse(json);
      if (!parsed.success) throw invalidParameterValue('not a block_actions payload Airlock knows');
      const p = parsed.data;
      const action = p.actions.find((a) => a.action_id === ACTION_APPROVE || a.action_id === ACTION_DENY);
      if (!action?.value) {
        res.status(200).end(); // other buttons (the console link) need nothing from us
        return;
      }
      const result = await slack.click({
        actionId: action.action_id,
        approvalId: action.value,
        slackUser: p.user.id,
        channel: p.container?.channel_id ?? p.channel?.id,
        messageTs: p.container?.message_ts ?? p.message?.ts,
      });
      if (result.ok) res.status(200).json({ ok: true, reviewer: result.reviewer });
      else res.status(result.status).json({ error: { code: result.code, message: result.message } });
    } catch (err) {
      const e = asAirlockError(err);
      const status = e.httpStatus >= 400 && e.httpStatus < 600 ? e.httpStatus : 500;
      if (status >= 500) logger.error({ err: e.message }, 'slack interactivity failed');
      res.status(status).json({ error: { code: e.code, message: e.message } });
    }
  });

  slack.start();
  return {
    app: slack,
    mount: (app) => void app.use(router),
    close: () => slack.stop(),
  };
}
