// The API proxy's side of the gateway: find the method, check the arguments, decide (policy engine),
// then send now (auto), hold for approval (ask) or refuse (block) — every step audited, the vault
// credential added only when sending. Approved calls come back here from the approval spine and are
// sent exactly as they were approved.
import { randomUUID } from 'node:crypto';
import type { AirlockConfig } from '../config/schema.js';
import type { ApiCallOutcome, ApiCallRequest, ApiResponse } from '../domain/api-call.js';
import type { ApiCallSpec, ApprovalRecord } from '../domain/approval.js';
import type { Auditor } from '../domain/audit.js';
import type { Agent, GatewayOutcome } from '../domain/request.js';
import { scrubValue } from '../domain/secret-values.js';
import { canonicalJson } from '../domain/canonical-json.js';
import { asAirlockError, insufficientPrivilege, type AirlockError } from '../errors.js';
import { judgeApiCall, methodVisible, type ApiVerdict } from '../policy/api-call.js';
import { checkArgs, type CompiledMethod, type IntegrationRegistry } from '../integrations/registry.js';
import { buildRequest } from '../integrations/request-builder.js';
import { send } from '../integrations/sender.js';
import { isIdempotent } from '../integrations/definition.js';
import type { Vault } from '../vault/vault.js';
import type { ApprovalService } from '../approvals/service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ApiMethodInfo } from './port.js';
import type { RequestAudit } from './request-audit.js';
import type { Limits } from './limits.js';

export interface ApiCallParts {
  config: AirlockConfig;
  registry: IntegrationRegistry;
  vault: Vault;
  /** journaled audit log: nothing is sent while it refuses, no answer leaves before its events are durable */
  audit: Auditor & Pick<AuditLog, 'ensureDurable'>;
  approvals: () => ApprovalService;
  /** where decisions are audited and counted, and refusals decided */
  requests: Pick<RequestAudit, 'apiDecision' | 'refusal'>;
  /** the agent's budget of held requests (limits.askPerHour) */
  limits?: Pick<Limits, 'ask'>;
}

export class ApiCalls {
  /** vault secret names, refreshed every few seconds: MCP lists only integrations whose credential is set */
  private secrets = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly p: ApiCallParts) {
    this.timer = setInterval(() => void this.refreshSecrets(), 5000);
    this.timer.unref();
  }

  async refreshSecrets(): Promise<void> {
    const list = await this.p.vault.list().catch(() => null);
    if (list) this.secrets = new Set(list.map((s) => s.name));
  }

  close(): void {
    clearInterval(this.timer);
  }

  private configured(m: CompiledMethod): boolean {
    const auth = m.integration.auth;
    return auth.type === 'none' || this.secrets.has(auth.secret);
  }

  /** The whole flow for one call: run auto, hold ask, refuse block; nothing runs unaudited. */
  async call(req: ApiCallRequest): Promise<ApiCallOutcome> {
    req.requestId ??= randomUUID();
    const refusal = this.p.requests.refusal(req.door);
    if (refusal) return { status: 'error', error: refusal };
    const outcome = await this.decideAndRun(req);
    try {
      this.p.audit.ensureDurable(); // the answer goes back only once its events are durable
    } catch (err) {
      return { status: 'error', decision: 'decision' in outcome ? outcome.decision : undefined, error: asAirlockError(err) };
    }
    return outcome;
  }

  private async decideAndRun(req: ApiCallRequest): Promise<ApiCallOutcome> {
    let m: CompiledMethod;
    let args: Record<string, unknown>;
    try {
      m = this.p.registry.method(req.integration, req.method);
      // canonical: the arguments that are judged, shown, bound and sent are one and the same object
      args = JSON.parse(canonicalJson(checkArgs(m, req.args))) as Record<string, unknown>;
    } catch (err) {
      return this.refused(req, asAirlockError(err));
    }
    let verdict: ApiVerdict;
    let built: ReturnType<typeof buildRequest>;
    try {
      verdict = judgeApiCall(m.facts, args, { agent: req.agent.name, rules: this.p.config.policy.rules });
      built = buildRequest(m, args);
    } catch (err) {
      return this.refused(req, asAirlockError(err));
    }
    const view = scrubValue(built.view);
    this.p.requests.apiDecision({
      type: 'decision',
      agent: req.agent.name,
      door: req.door,
      database: m.integration.name,
      decision: verdict.decision,
      rule: verdict.rule,
      requestId: req.requestId,
      data: { reason: verdict.reason, integration: m.integration.name, method: m.name, request: view },
    });
    if (verdict.decision === 'block') {
      return { status: 'blocked', decision: verdict, error: insufficientPrivilege(`blocked by ${verdict.rule}: ${verdict.reason}`) };
    }
    const spec: ApiCallSpec = { integration: m.integration.name, method: m.name, args, request: view };
    if (verdict.decision === 'ask') {
      const refused = await this.p.limits?.ask(req.agent, req.door, { database: m.integration.name, requestId: req.requestId });
      if (refused) return { status: 'error', decision: verdict, error: refused };
      try {
        return this.fromApproval(await this.p.approvals().holdCall(req, verdict, spec, verdict.requiredApprovals), spec);
      } catch (err) {
        return { status: 'error', decision: verdict, error: asAirlockError(err) };
      }
    }
    try {
      const response = await this.sendCall(m, args);
      this.p.audit.append({
        type: 'execution.executed',
        agent: req.agent.name,
        door: req.door,
        database: m.integration.name,
        requestId: req.requestId,
        data: { integration: m.integration.name, method: m.name, status: response.status },
      });
      return { status: 'done', decision: verdict, response };
    } catch (err) {
      const error = asAirlockError(err);
      this.p.audit.append({
        type: 'execution.failed',
        agent: req.agent.name,
        door: req.door,
        database: m.integration.name,
        requestId: req.requestId,
        data: { integration: m.integration.name, method: m.name, error: error.message, code: error.code },
      });
      return { status: 'error', decision: verdict, error };
    }
  }

  /** Send an approved call exactly as approved (the approval spine calls this once). */
  sendApproved(spec: ApiCallSpec, approvalId: string): Promise<ApiResponse> {
    const m = this.p.registry.method(spec.integration, spec.method);
    return this.sendCall(m, spec.args, approvalId);
  }

  idempotent(spec: ApiCallSpec): boolean {
    try {
      return isIdempotent(this.p.registry.method(spec.integration, spec.method).def);
    } catch {
      return false;
    }
  }

  /** The integrations served (the console's policy page): names and base URLs, never credentials. */
  integrations(): { name: string; baseUrl: string }[] {
    return this.p.registry.integrations.map((i) => ({ name: i.name, baseUrl: i.baseUrl }));
  }

  /** The methods this agent may see (MCP tools): of integrations whose credential is set, not blocked for it outright. */
  methods(agent: Agent): ApiMethodInfo[] {
    return this.p.registry
      .all()
      .filter((m) => this.configured(m) && methodVisible(m.facts, { agent: agent.name, rules: this.p.config.policy.rules }))
      .map((m) => ({
        integration: m.integration.name,
        method: m.name,
        description: m.def.description,
        verb: m.verb,
        path: m.path,
        tier: m.def.tier,
        params: m.def.params,
      }));
  }

  route(integration: string, verb: string, path: string): { method: string; pathArgs: Record<string, string> } {
    const r = this.p.registry.route(integration, verb.toUpperCase(), path);
    return { method: r.method.name, pathArgs: r.pathArgs };
  }

  /** An approval's outcome as an API call outcome. */
  fromApproval(o: GatewayOutcome, spec: ApiCallSpec | null): ApiCallOutcome {
    if (o.status === 'executed') return { status: 'done', decision: o.decision, response: o.result as unknown as ApiResponse };
    if (o.status === 'pending') {
      const request = spec?.request ?? { method: '', url: '' };
      return { status: 'pending', decision: o.decision, approvalId: o.approvalId, reviewUrl: o.reviewUrl, request };
    }
    return o;
  }

  /** An approval record seen by its agent: status and, once executed, the stored response. */
  approvalView(rec: ApprovalRecord): Record<string, unknown> {
    return {
      id: rec.id,
      status: rec.status,
      integration: rec.call?.integration,
      method: rec.call?.method,
      request: rec.call?.request,
      ...(rec.status === 'executed' ? { response: rec.result } : {}),
      ...(rec.error ? { error: rec.error } : {}),
      ...(rec.deniedBy ? { denied_by: rec.deniedBy, comment: rec.comment } : {}),
    };
  }

  private sendCall(m: CompiledMethod, args: Record<string, unknown>, approvalId?: string): Promise<ApiResponse> {
    const built = buildRequest(m, args, { idempotencyKey: approvalId });
    return send(built, (name) => this.p.vault.get(name), {
      auth: m.integration.auth,
      timeoutMs: m.integration.timeoutMs,
      maxResponseBytes: m.integration.maxResponseBytes,
      idempotent: isIdempotent(m.def),
      integration: m.integration.name,
    });
  }

  private refused(req: ApiCallRequest, error: AirlockError): ApiCallOutcome {
    this.p.audit.append({
      type: 'error',
      agent: req.agent.name,
      door: req.door,
      database: req.integration,
      requestId: req.requestId,
      data: { integration: req.integration, method: req.method, error: error.message, code: error.code },
    });
    return { status: 'error', error };
  }
}
