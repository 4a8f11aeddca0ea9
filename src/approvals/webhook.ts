// Tells reviewers about approvals through the configured webhooks. Fire-and-forget for the
// caller: notify() returns at once and never throws; deliveries time out, retry on network
// errors and 5xx with exponential backoff, and are logged without URLs' secrets or the key.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { webhookSchema } from '../config/schema.js';
import { configError } from '../errors.js';
import { logger, type Logger } from '../logger.js';
import { approvalEventSchema, jsonPayload, signBody, slackPayload, stringifyPayload, type ApprovalEvent } from './webhook-format.js';

export { approvalEventSchema, signBody, verifySignature, WEBHOOK_EVENT_TYPES } from './webhook-format.js';
export type { ApprovalEvent, WebhookEventType } from './webhook-format.js';

export type WebhookConfig = z.output<typeof webhookSchema>;
export type WebhookConfigInput = z.input<typeof webhookSchema>;

export interface NotifierOptions {
  /** first retry delay; doubles per retry (default 500 ms) */
  retryBaseMs?: number;
  /** cap on one retry delay (default 30 s) */
  maxRetryDelayMs?: number;
  /** deliveries in flight beyond which new ones are dropped (default 1000) */
  maxPending?: number;
  /** parent logger (default: the shared one) */
  logger?: Logger;
}

/** 408 and 429 mean "try later" even though they are 4xx. */
const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/** scheme://host of a URL: Slack-style webhook URLs carry their secret in the path. */
const origin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid-url';
  }
};

export class Notifier {
  private readonly hooks: WebhookConfig[];
  private readonly pending = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private readonly wakers = new Set<() => void>();
  private readonly log: Logger;
  private readonly retryBaseMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly maxPending: number;
  private closed = false;

  /** Takes `approvals.webhooks` from the config; throws F0000 naming the bad key. */
  constructor(hooks: WebhookConfigInput[] = [], opts: NotifierOptions = {}) {
    const parsed = z.array(webhookSchema).safeParse(hooks);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw configError(`approvals.webhooks.${issue?.path.join('.')}: ${issue?.message}`);
    }
    parsed.data.forEach((h, i) => {
      if (!/^https?:$/.test(new URL(h.url).protocol)) throw configError(`approvals.webhooks.${i}.url: must be http(s)`);
    });
    this.hooks = parsed.data;
    this.log = (opts.logger ?? logger).child({ component: 'webhook' });
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    this.maxRetryDelayMs = opts.maxRetryDelayMs ?? 30_000;
    this.maxPending = opts.maxPending ?? 1000;
  }

  get enabled(): boolean {
    return this.hooks.length > 0;
  }

  /** Queue delivery of an event to every webhook; returns at once, never throws. */
  notify(event: ApprovalEvent): void {
    try {
      if (this.closed || this.hooks.length === 0) return;
      const parsed = approvalEventSchema.safeParse(event);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        this.log.error({ field: issue?.path.join('.'), problem: issue?.message }, 'webhook event rejected');
        return;
      }
      const ev = { ...parsed.data, occurredAt: parsed.data.occurredAt ?? new Date().toISOString() };
      for (const hook of this.hooks) {
        if (this.pending.size >= this.maxPending) {
          this.log.warn({ target: origin(hook.url), type: ev.type, approvalId: ev.approval.id }, 'webhook backlog full, event dropped');
          continue;
        }
        const delivery: Promise<void> = this.deliver(hook, ev)
          .catch((err: unknown) => this.log.error({ err: String(err) }, 'webhook delivery crashed'))
          .finally(() => this.pending.delete(delivery));
        this.pending.add(delivery);
      }
    } catch (err) {
      this.log.error({ err: String(err) }, 'webhook notify failed');
    }
  }

  /** Wait until every delivery started so far has succeeded or given up (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Stop: no new events, abort in-flight requests, skip remaining retries. */
  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.controllers) c.abort();
    for (const wake of [...this.wakers]) wake();
    await this.flush();
  }

  private async deliver(hook: WebhookConfig, event: ApprovalEvent): Promise<void> {
    const deliveryId = randomUUID();
    const body = stringifyPayload(hook.format === 'slack' ? slackPayload(event) : jsonPayload(event, deliveryId));
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'airlock-webhook',
      'X-Airlock-Event': event.type,
      'X-Airlock-Delivery': deliveryId,
    };
    if (hook.secret) headers['X-Airlock-Signature'] = signBody(body, hook.secret);
    const ctx = { target: origin(hook.url), type: event.type, approvalId: event.approval.id, deliveryId };

    for (let attempt = 1; attempt <= hook.retries + 1; attempt++) {
      const result = await this.attempt(hook, body, headers);
      if (result.ok) {
        this.log.info({ ...ctx, attempt, status: result.status }, 'webhook delivered');
        return;
      }
      if (!result.retry || this.closed || attempt > hook.retries) {
        this.log.error({ ...ctx, attempt, problem: result.problem }, 'webhook delivery failed');
        return;
      }
      const delay = Math.min(this.retryBaseMs * 2 ** (attempt - 1), this.maxRetryDelayMs);
      this.log.warn({ ...ctx, attempt, problem: result.problem, delay }, 'webhook delivery failed, retrying');
      await this.sleep(delay);
      if (this.closed) {
        this.log.warn(ctx, 'webhook delivery abandoned at shutdown');
        return;
      }
    }
  }

  /** One POST with its own timeout; classifies the outcome instead of throwing. */
  private async attempt(
    hook: WebhookConfig,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ ok: true; status: number } | { ok: false; retry: boolean; problem: string }> {
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), hook.timeoutMs);
    try {
      const res = await fetch(hook.url, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      if (res.status >= 300 && res.status < 400) {
        return { ok: false, retry: false, problem: `HTTP ${res.status} redirect: configure the final URL` };
      }
      return { ok: false, retry: retryableStatus(res.status), problem: `HTTP ${res.status}` };
    } catch (err) {
      const problem = controller.signal.aborted
        ? this.closed
          ? 'aborted at shutdown'
          : `timed out after ${hook.timeoutMs} ms`
        : `network error: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`;
      return { ok: false, retry: true, problem };
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
  }

  /** A backoff wait that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}
