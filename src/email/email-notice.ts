// An email to the reviewers for each new approval (optional, `email:` in the config), sent over
// SMTP with nodemailer. Plain text only: what is asked, the change in brief, the risk hints and the
// review link. Approving happens in the console, behind sign-in, never from the mail.
import nodemailer, { type Transporter } from 'nodemailer';
import { LRUCache } from 'lru-cache';
import type { GatewayPort } from '../gateway/port.js';
import type { EmailConfig } from '../config/schema.js';
import type { ApprovalRecord } from '../domain/approval.js';
import type { ReviewFacts } from '../domain/review.js';
import { cellText } from '../domain/preview-diff.js';
import { logger } from '../logger.js';

const log = logger.child({ component: 'email' });
const oneLine = (s: string, n: number) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

/** Subject and plain-text body of the notice for one approval. */
export function noticeText(rec: ApprovalRecord, facts: ReviewFacts, reviewUrl: string): { subject: string; text: string } {
  const p = rec.preview;
  const effect = facts.request ? 'API call' : p?.available ? `${p.affectedRows ?? '?'} row(s)` : 'no preview';
  const subject = oneLine(`[Airlock] Approval needed: ${rec.agentName} on ${facts.target.name} (${effect}, ${facts.risk} risk)`, 200);
  const lines = [
    `${rec.agentName} asks to change ${facts.target.kind} ${facts.target.name} (via ${rec.door}).`,
    rec.decision ? `Held by rule ${rec.decision.rule}: ${rec.decision.reason}` : '',
    '',
    facts.request ? `${facts.request.method} ${facts.request.url}` : rec.sql.slice(0, 4000),
    '',
    ...(p?.available ? [`Preview: ${effect} would change.`] : [p?.reason ?? 'No preview was taken.']),
    ...facts.changed
      .slice(0, 5)
      .map(
        (cols, i) =>
          `  ${cols.map((c) => `${c}: ${oneLine(cellText(p?.before?.[i]?.[c]), 40)} -> ${oneLine(cellText(p?.rows?.[i]?.[c]), 40)}`).join(', ')}`,
      ),
    ...facts.risks.map((r) => `Risk (${r.level}): ${r.text}`),
    '',
    `Expires ${new Date(rec.expiresAt).toISOString()}. Review it here (sign-in required):`,
    reviewUrl,
  ];
  return { subject, text: lines.filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n') };
}

export class EmailNotices {
  private readonly sent = new LRUCache<string, true>({ max: 10_000 });
  private unsubscribe: (() => void) | null = null;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly gateway: GatewayPort,
    private readonly config: EmailConfig,
    private readonly transport: Transporter = nodemailer.createTransport(config.url),
  ) {}

  start(): void {
    this.unsubscribe ??= this.gateway.watchApprovals((s) => {
      if (s.status !== 'pending' || this.sent.has(s.id)) return;
      this.sent.set(s.id, true);
      const p: Promise<void> = this.send(s.id).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.allSettled([...this.inflight]);
    this.transport.close();
  }

  private async send(id: string): Promise<void> {
    try {
      const rec = this.gateway.reviewView(await this.gateway.getApproval(id), null);
      if (rec.status !== 'pending' || rec.approvals.length > 0) return; // a vote, not a new approval
      const { subject, text } = noticeText(rec, this.gateway.reviewFacts(rec), this.gateway.reviewUrl(id));
      await this.transport.sendMail({ from: this.config.from, to: this.config.to, subject, text });
      log.info({ approvalId: id, to: this.config.to.length }, 'approval email sent');
    } catch (err) {
      log.warn({ err: (err as Error).message, approvalId: id }, 'approval email not sent');
    }
  }
}
