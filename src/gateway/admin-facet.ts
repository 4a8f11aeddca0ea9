// The gateway's admin verbs (approvals for reviewers, the audit trail, agent identities) over the
// store, the audit log and the review service. Shared by the full Gateway and by the CLI's light
// admin gateway, which loads no parser and opens no upstream.
import type { Writable } from 'node:stream';
import type { AirlockConfig } from '../config/schema.js';
import type { Agent, Door } from '../domain/request.js';
import type { AgentRecord } from '../domain/agent.js';
import type { ApprovalFilter, ApprovalRecord } from '../domain/approval.js';
import type { AuditEvent, AuditFilter } from '../domain/audit.js';
import type { Store } from '../store/store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { loadAuditKey } from '../audit/checkpoints.js';
import { exportJsonl, type ExportFilter } from '../audit/export.js';
import { auditPaths } from '../audit/state-paths.js';
import { verifyChain, type VerifyResult } from '../audit/verify.js';
import type { ReviewService } from '../approvals/review-service.js';
import { StandingService } from '../approvals/standing.js';
import { RevertService } from '../approvals/revert.js';
import type { StandingApproval, StandingFilter, StandingOptions } from '../domain/standing.js';
import { invalidAuthorization, tooManyAttempts, undefinedObject } from '../errors.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthThrottle } from './auth-throttle.js';
import { Vault } from '../vault/vault.js';
import type { AdminPort, DoorEvent } from './port.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface AdminParts {
  config: AirlockConfig;
  store: Store;
  audit: AuditLog;
  review: ReviewService;
  storeSchema?: string;
  /** the door admin actions are recorded under: `cli` for the CLI, `api` for HTTP */
  door?: Door;
}

export class AdminFacet implements AdminPort {
  private readonly door: Door;
  private readonly throttle: AuthThrottle;
  private readonly reviewerTokens: { name: string; hash: Buffer }[];

  constructor(private readonly p: AdminParts) {
    this.door = p.door ?? 'api';
    this.throttle = new AuthThrottle(p.config.auth);
    this.reviewerTokens = p.config.reviewers.map((r) => ({ name: r.name, hash: digest(r.token) }));
  }

  async authAttempt(door: Door, remote: string, name?: string): Promise<void> {
    const wait = await this.throttle.begin(name, remote);
    if (wait === 0) return;
    const seconds = Math.ceil(wait / 1000);
    this.p.audit.append({
      type: 'auth.failed',
      door,
      agent: name ?? null,
      data: { reason: 'throttled', remote, retryAfterSeconds: seconds },
    });
    throw tooManyAttempts(
      `too many failed authentication attempts${name ? ` for "${name}"` : ''} from ${remote}: try again in ${seconds} s`,
      seconds,
    );
  }

  authFailed(_door: Door, remote: string, name?: string): Promise<void> {
    return this.throttle.failed(name, remote);
  }

  authSucceeded(_door: Door, remote: string, name?: string): Promise<void> {
    return this.throttle.succeeded(name, remote);
  }

  async authenticateReviewerToken(token: string | null, remote: string): Promise<string> {
    await this.authAttempt('rest', remote);
    const hash = token ? digest(token) : null;
    const reviewer = hash ? this.reviewerTokens.find((r) => timingSafeEqual(r.hash, hash)) : undefined;
    if (!reviewer) {
      this.p.audit.append({
        type: 'auth.failed',
        door: 'rest',
        data: { via: 'reviewer token', reason: token ? 'unknown token' : 'no token', remote },
      });
      await this.throttle.failed(undefined, remote);
      throw invalidAuthorization('reviewer token missing or wrong (Authorization: Bearer <token>)');
    }
    return reviewer.name;
  }

  listApprovals(filter?: ApprovalFilter): Promise<ApprovalRecord[]> {
    return this.p.review.list(filter);
  }

  getApproval(id: string): Promise<ApprovalRecord> {
    return this.p.review.get(id);
  }

  approve(id: string, reviewer: string, comment?: string): Promise<ApprovalRecord> {
    return this.p.review.approve(id, reviewer, comment);
  }

  deny(id: string, reviewer: string, comment?: string): Promise<ApprovalRecord> {
    return this.p.review.deny(id, reviewer, comment);
  }

  reviewUrl(id: string): string {
    return this.p.review.reviewUrl(id);
  }

  private standingService?: StandingService;
  private get standing(): StandingService {
    const { store, audit, config, review } = this.p;
    return (this.standingService ??= new StandingService({ store, audit, config: config.approvals, review }));
  }

  alwaysAllow(approvalId: string, reviewer: string, opts?: StandingOptions): Promise<StandingApproval> {
    return this.standing.create(approvalId, reviewer, opts, this.door);
  }

  listStanding(filter?: StandingFilter): Promise<StandingApproval[]> {
    return this.standing.list(filter);
  }

  revokeStanding(id: string, reviewer: string): Promise<StandingApproval> {
    return this.standing.revoke(id, reviewer, this.door);
  }

  revertApproval(approvalId: string, reviewer: string, comment?: string): Promise<ApprovalRecord> {
    const { store, audit, config, review } = this.p;
    return new RevertService({ store, audit, config: config.approvals, review }).create(approvalId, reviewer, comment, this.door);
  }

  /** Everything appended so far is stored first, so a listing includes this process's own events. */
  async listAudit(filter?: AuditFilter): Promise<AuditEvent[]> {
    await this.p.audit.flush().catch(() => undefined);
    return this.p.store.listAudit(filter);
  }

  async exportAudit(out: Writable, filter: ExportFilter = {}): Promise<number> {
    await this.p.audit.flush().catch(() => undefined);
    return exportJsonl(this.p.store, out, filter);
  }

  /** The chain against its signed checkpoints (and a head kept elsewhere). */
  async verifyAudit(head?: { seq: number; hash: string }): Promise<VerifyResult> {
    await this.p.audit.flush().catch(() => undefined);
    const paths = auditPaths(this.p.config.store.url, this.p.storeSchema, this.p.config.audit);
    return verifyChain(this.p.store, { key: loadAuditKey(paths.keyFile, false), checkpointFile: paths.checkpointFile, head });
  }

  record(event: DoorEvent): void {
    this.p.audit.append(event);
  }

  async createAgent(name: string, by = 'api'): Promise<{ agent: AgentRecord; token: string }> {
    const created = await this.p.store.createAgent(name);
    this.p.audit.append({ type: 'agent.created', agent: created.agent.name, door: this.door, data: { agentId: created.agent.id, by } });
    return created;
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.p.store.listAgents();
  }

  /** Idempotent: revoking a revoked agent changes nothing and is not audited again. */
  async revokeAgent(name: string, by = 'api'): Promise<AgentRecord> {
    const before = await this.p.store.findAgentByName(name);
    if (!before) throw undefinedObject(`no agent named "${name}"`);
    const agent = (await this.p.store.revokeAgent(name)) ?? before;
    if (before.revokedAt === null)
      this.p.audit.append({ type: 'agent.revoked', agent: agent.name, door: this.door, data: { agentId: agent.id, by } });
    return agent;
  }

  /** Bearer-token authentication for HTTP and MCP: the token alone identifies the agent; failures are audited. */
  async authenticateToken(token: string, door: Door, remote?: string): Promise<Agent | null> {
    if (remote !== undefined) await this.authAttempt(door, remote);
    const agent = typeof token === 'string' && token.length > 0 && token.length < 512 ? await this.p.store.authenticateToken(token) : null;
    if (!agent) {
      this.p.audit.append({ type: 'auth.failed', door, data: { reason: 'unknown or revoked token', remote } });
      if (remote !== undefined) await this.throttle.failed(undefined, remote);
      return null;
    }
    return { id: agent.id, name: agent.name };
  }

  private vaults?: Promise<Vault>;
  /** the vault, opened on first use (the master key file is created then, for `vault set`) */
  vault(): Promise<Vault> {
    this.vaults ??= Vault.open(this.p.store, this.p.audit, { storeUrl: this.p.config.store.url, schema: this.p.storeSchema, create: true });
    this.vaults.catch(() => (this.vaults = undefined));
    return this.vaults;
  }

  async setSecret(name: string, value: string, by = 'cli'): Promise<{ keySource: string; keyCreated: boolean }> {
    const vault = await this.vault();
    await vault.set(name, value, by);
    const key = vault.keySource!;
    return { keySource: key.source, keyCreated: key.created };
  }

  async listSecrets(): Promise<{ name: string; createdAt: number; updatedAt: number }[]> {
    return this.p.store.listSecrets();
  }

  async deleteSecret(name: string, by = 'cli'): Promise<boolean> {
    return (await this.vault()).delete(name, by);
  }

  async agentAuth(agentName: string): Promise<{ agent: Agent; scramVerifier: string } | null> {
    const auth = await this.p.store.getAgentAuth(agentName);
    if (!auth || !auth.scramVerifier) return null;
    return { agent: { id: auth.agent.id, name: auth.agent.name }, scramVerifier: auth.scramVerifier };
  }
}
