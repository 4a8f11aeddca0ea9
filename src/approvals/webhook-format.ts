// What a webhook receiver gets: the approval event schema, the generic JSON and Slack
// payloads, and the HMAC signature that lets a receiver trust the body.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { APPROVAL_STATUSES } from '../domain/approval.js';
import { esc, sqlBlockText } from '../domain/slack-text.js';

export const WEBHOOK_EVENT_TYPES = [
  'approval.pending',
  'approval.approved',
  'approval.denied',
  'approval.expired',
  'approval.executed',
  'approval.failed',
  'approval.drifted',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const rowsSchema = z.array(z.record(z.string(), z.unknown()));

/** Same shape as PreviewSummary in gateway-types. */
export const previewSummarySchema = z.object({
  available: z.boolean(),
  reason: z.string().optional(),
  affectedRows: z.number().int().nonnegative().optional(),
  rows: rowsSchema.optional(),
  before: rowsSchema.optional(),
  truncated: z.boolean().optional(),
  digest: z.string().optional(),
});

export const approvalEventSchema = z.object({
  type: z.enum(WEBHOOK_EVENT_TYPES),
  approval: z.object({
    id: z.string().min(1),
    /** agent name */
    agent: z.string().min(1),
    database: z.string(),
    sql: z.string(),
    /** absent when no preview was taken (e.g. the event is about a decision, not a statement) */
    preview: previewSummarySchema.optional(),
    reviewUrl: z.string().url(),
    status: z.enum(APPROVAL_STATUSES).optional(),
    /** reviewer who approved/denied, when there is one */
    actor: z.string().optional(),
    /** reviewer comment, failure or drift reason */
    comment: z.string().optional(),
  }),
  /** ISO time of the event; the notifier fills it in when absent */
  occurredAt: z.string().optional(),
});
export type ApprovalEvent = z.infer<typeof approvalEventSchema>;

/** The generic JSON body: the event plus a delivery id receivers can dedupe retries by. */
export function jsonPayload(event: ApprovalEvent, deliveryId: string): Record<string, unknown> {
  return { id: deliveryId, type: event.type, occurredAt: event.occurredAt, approval: event.approval };
}

const TITLES: Record<WebhookEventType, string> = {
  'approval.pending': ':hourglass_flowing_sand: Approval needed',
  'approval.approved': ':white_check_mark: Approved',
  'approval.denied': ':no_entry: Denied',
  'approval.expired': ':alarm_clock: Expired',
  'approval.executed': ':rocket: Executed',
  'approval.failed': ':x: Execution failed',
  'approval.drifted': ':warning: Result drifted from the preview, asking again',
};

function effectLine(preview: ApprovalEvent['approval']['preview']): string {
  if (!preview) return '*Preview:* none';
  if (!preview.available) return `*Preview unavailable:* ${esc(preview.reason ?? 'unknown reason')}`;
  const n = preview.affectedRows;
  return n === undefined ? '*Affected rows:* unknown' : `*Affected rows:* ${n}`;
}

/** Slack-compatible `{text, blocks}`: headline, SQL in a code block, affected rows, review link. */
export function slackPayload(event: ApprovalEvent): Record<string, unknown> {
  const a = event.approval;
  const title = TITLES[event.type];
  const who = `Agent *${esc(a.agent)}* on database *${esc(a.database)}*${a.actor ? ` · by *${esc(a.actor)}*` : ''}`;
  const link = `<${a.reviewUrl.replace(/[|>]/g, encodeURIComponent)}|Review approval ${esc(a.id)}>`;
  const details = [effectLine(a.preview), a.comment ? `*Note:* ${esc(a.comment)}` : '', link].filter(Boolean).join('\n');
  const affected = a.preview?.available ? `${a.preview.affectedRows ?? '?'} rows` : 'no preview';
  return {
    text: `${title}: ${a.agent} on ${a.database} (${affected}) ${a.reviewUrl}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*\n${who}` } },
      { type: 'section', text: { type: 'mrkdwn', text: sqlBlockText(a.sql) } },
      { type: 'section', text: { type: 'mrkdwn', text: details } },
    ],
  };
}

/** JSON.stringify that survives bigint (int8 columns in preview rows). */
export function stringifyPayload(payload: unknown): string {
  return JSON.stringify(payload, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** `sha256=<hex>` HMAC of the exact body bytes, for the X-Airlock-Signature header. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** For receivers (and tests): constant-time check of an X-Airlock-Signature header. */
export function verifySignature(body: string, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
