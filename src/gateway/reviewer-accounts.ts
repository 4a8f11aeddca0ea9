// Console accounts: reviewers and admins with scrypt-hashed passwords, their signed-in sessions,
// sign-in and sign-out, every step audited. Store and audit log only, so the CLI's `reviewers`
// commands stay light.
import type { AirlockConfig } from '../config/schema.js';
import type { Auditor } from '../domain/audit.js';
import type { ReviewerRecord, ReviewerSession } from '../domain/reviewer.js';
import type { Store } from '../store/store.js';
import { tooManyAttempts, undefinedObject } from '../errors.js';
import { AuthThrottle } from './auth-throttle.js';
import type { ReviewersPort } from './port.js';

export class ReviewerAccounts implements ReviewersPort {
  private readonly throttle: AuthThrottle;

  constructor(
    private readonly config: AirlockConfig,
    private readonly store: Store,
    private readonly audit: Auditor,
  ) {
    const c = config.console;
    this.throttle = new AuthThrottle({
      maxFailures: c.signInMaxFailures,
      maxFailuresPerAddress: c.signInMaxFailuresPerAddress,
      windowSeconds: c.signInWindowMinutes * 60,
      reserve: true, // people sign in one at a time: parallel guesses never exceed the limit
    });
  }

  private get sessionTimes() {
    const c = this.config.console;
    return { idleMs: Math.round(c.sessionIdleMinutes * 60_000), maxMs: Math.round(c.sessionMaxHours * 3_600_000) };
  }

  async addReviewer(name: string, password: string, opts: { admin?: boolean; by?: string } = {}): Promise<ReviewerRecord> {
    const rec = await this.store.createReviewer(name, password, opts.admin === true);
    this.audit.append({ type: 'reviewer.created', door: 'cli', data: { reviewer: rec.name, admin: rec.admin, by: opts.by ?? 'api' } });
    return rec;
  }

  listReviewers(): Promise<ReviewerRecord[]> {
    return this.store.listReviewers();
  }

  async removeReviewer(name: string, by = 'api'): Promise<ReviewerRecord> {
    const rec = await this.store.removeReviewer(name);
    if (!rec) throw undefinedObject(`reviewer "${name}" does not exist`);
    this.audit.append({ type: 'reviewer.removed', door: 'cli', data: { reviewer: rec.name, by } });
    return rec;
  }

  /** Throttled per name and address (throws 53400 with when to retry), every attempt audited. */
  async signIn(name: string, password: string, remote = 'unknown'): Promise<{ token: string; session: ReviewerSession } | null> {
    const who = typeof name === 'string' ? name.slice(0, 100) : null;
    const wait = await this.throttle.begin(who ?? undefined, remote);
    if (wait > 0) {
      this.audit.append({ type: 'auth.failed', door: 'rest', data: { via: 'console', reviewer: who, reason: 'throttled', remote } });
      const seconds = Math.ceil(wait / 1000);
      throw tooManyAttempts(`too many failed sign-ins: try again in ${seconds} s`, seconds);
    }
    const account = await this.store.checkReviewerPassword(name, password);
    if (!account) {
      this.audit.append({
        type: 'auth.failed',
        door: 'rest',
        data: { via: 'console', reviewer: who, reason: 'wrong name or password', remote },
      });
      await this.throttle.failed(who ?? undefined, remote);
      return null;
    }
    await this.throttle.succeeded(who ?? undefined, remote);
    const opened = await this.store.createReviewerSession(account, this.sessionTimes);
    this.audit.append({ type: 'auth.ok', door: 'rest', data: { via: 'console', reviewer: account.name, admin: account.admin, remote } });
    return opened;
  }

  reviewerSession(token: string): Promise<ReviewerSession | null> {
    return this.store.getReviewerSession(token, this.sessionTimes.idleMs);
  }

  async signOut(token: string, reviewer?: string): Promise<void> {
    await this.store.deleteReviewerSession(token);
    if (reviewer) this.audit.append({ type: 'reviewer.signed-out', door: 'rest', data: { via: 'console', reviewer } });
  }
}
