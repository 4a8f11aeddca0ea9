// The Slack app: every new approval is posted to the configured channel with Approve and Deny
// buttons (chat.postMessage through @slack/web-api), and its message is updated as votes, the
// decision and the execution land (chat.update), whichever process made them. A click counts only
// from a Slack user mapped to a reviewer in the config, and is audited as that reviewer.
import { WebClient, LogLevel, type Logger as SlackLogger } from '@slack/web-api';
import type { GatewayPort } from '../gateway/port.js';
import type { SlackConfig } from '../config/schema.js';
import type { ApprovalSignal } from '../domain/approval.js';
import { asAirlockError, insufficientPrivilege } from '../errors.js';
import { logger } from '../logger.js';
import { ACTION_APPROVE, approvalMessage } from './slack-blocks.js';

const log = logger.child({ component: 'slack' });

/** @slack/web-api logs through Airlock's logger (never to the console). */
const slackLogger: SlackLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (...msg: unknown[]) => log.warn({ msg: msg.map(String).join(' ') }, 'slack sdk'),
  error: (...msg: unknown[]) => log.error({ msg: msg.map(String).join(' ') }, 'slack sdk'),
  setLevel: () => undefined,
  getLevel: () => LogLevel.WARN,
  setName: () => undefined,
};

export interface SlackClick {
  actionId: string;
  approvalId: string;
  slackUser: string;
  channel?: string;
  messageTs?: string;
}

interface Posted {
  channel: string;
  ts: string;
  version: number;
}

export class SlackApprovals {
  private readonly client: WebClient;
  private readonly posted = new Map<string, Posted>();
  /** Slack calls for one approval run one after another (post before update) */
  private readonly chains = new Map<string, Promise<void>>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly gateway: GatewayPort,
    private readonly config: SlackConfig,
  ) {
    this.client = new WebClient(config.botToken, {
      slackApiUrl: config.apiUrl,
      logger: slackLogger,
      timeout: 10_000,
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    });
  }

  /** Follow approval changes from now on. */
  start(): void {
    this.unsubscribe ??= this.gateway.watchApprovals((s) => this.onSignal(s));
  }

  /** Stop following and wait for Slack calls in flight. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.allSettled([...this.chains.values()]);
  }

  /** The reviewer a Slack user acts as, or null when the user is not on the list. */
  reviewerFor(slackUser: string): string | null {
    return Object.hasOwn(this.config.users, slackUser) ? this.config.users[slackUser] : null;
  }

  private onSignal(s: ApprovalSignal): void {
    if (!s.status || (s.status !== 'pending' && !this.posted.has(s.id))) return;
    this.enqueue(s.id, () => this.sync(s.id));
  }

  private enqueue(id: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(id) ?? Promise.resolve())
      .then(fn)
      .catch((err) => log.warn({ err: (err as Error).message, approvalId: id }, 'slack message not sent'));
    this.chains.set(id, next);
    void next.finally(() => this.chains.get(id) === next && this.chains.delete(id));
    return next;
  }

  /** Post the approval's message once, then keep it in step with the record. */
  private async sync(id: string): Promise<void> {
    const rec = this.gateway.reviewView(await this.gateway.getApproval(id), null);
    const msg = approvalMessage(rec, this.gateway.reviewFacts(rec), this.gateway.reviewUrl(id));
    const known = this.posted.get(id);
    if (!known) {
      if (rec.status !== 'pending') return;
      const r = await this.client.chat.postMessage({ channel: this.config.channel, text: msg.text, blocks: msg.blocks });
      if (r.ok && r.channel && r.ts) this.posted.set(id, { channel: r.channel, ts: r.ts, version: rec.version });
      return;
    }
    if (known.version === rec.version) return;
    await this.client.chat.update({ channel: known.channel, ts: known.ts, text: msg.text, blocks: msg.blocks });
    known.version = rec.version;
  }

  /** A verified click: approve or deny as the mapped reviewer, audited; the message shows the outcome. */
  async click(c: SlackClick): Promise<{ ok: true; reviewer: string } | { ok: false; status: number; code: string; message: string }> {
    if (c.channel && c.messageTs && !this.posted.has(c.approvalId)) {
      this.posted.set(c.approvalId, { channel: c.channel, ts: c.messageTs, version: -1 });
    }
    const reviewer = this.reviewerFor(c.slackUser);
    const action = c.actionId === ACTION_APPROVE ? 'approve' : 'deny';
    if (!reviewer) {
      const reason = `Slack user ${c.slackUser} is not mapped to a reviewer (slack.users)`;
      this.gateway.record({
        type: 'auth.failed',
        door: 'rest',
        approvalId: c.approvalId,
        data: { via: 'slack', slackUser: c.slackUser, action, reason },
      });
      await this.tell(c, `You cannot ${action} Airlock requests: ${reason}.`);
      const e = insufficientPrivilege(reason);
      return { ok: false, status: e.httpStatus, code: e.code, message: e.message };
    }
    this.gateway.record({
      type: 'auth.ok',
      door: 'rest',
      approvalId: c.approvalId,
      data: { via: 'slack', slackUser: c.slackUser, reviewer, action },
    });
    try {
      if (action === 'approve') await this.gateway.approve(c.approvalId, reviewer, 'approved in Slack');
      else await this.gateway.deny(c.approvalId, reviewer, 'denied in Slack');
      return { ok: true, reviewer };
    } catch (err) {
      const e = asAirlockError(err);
      await this.tell(c, e.message);
      return { ok: false, status: e.httpStatus, code: e.code, message: e.message };
    } finally {
      // show the outcome (or the state that refused the click) right away
      await this.enqueue(c.approvalId, () => this.sync(c.approvalId));
    }
  }

  /** A message only the clicking user sees. */
  private async tell(c: SlackClick, text: string): Promise<void> {
    if (!c.channel) return;
    await this.client.chat
      .postEphemeral({ channel: c.channel, user: c.slackUser, text })
      .catch((err) => log.warn({ err: (err as Error).message }, 'slack ephemeral message not sent'));
  }
}
