import type { Agent, GatewayRequest, GatewayOutcome } from '../domain/request.js';
import type { Decision } from '../domain/decision.js';
export interface WireGateway {
  /** SCRAM verifier text (PostgreSQL format) for an agent; null when unknown or revoked */
  agentAuth(agentName: string): Promise<{ agent: Agent; scramVerifier: string; tokenHash: string } | null>;
  /** read what the database adds to the trusted names before the session's first statement */
  prepareDatabase(database: string): Promise<void>;
  /** audit a connection attempt (ok or failed) */
  auditConnection(e: { agentName: string; database: string; ok: boolean; reason?: string; remote?: string; client?: string }): void;
  /** classify one SQL string (may hold several statements) and audit the decision; synchronous and cached */
  decide(req: GatewayRequest): Decision;
  /** before a result goes back to the client: its audit events are durable, or this throws 58030 */
  ensureAudited(): void;
  /** audit a decision made earlier (a prepared statement executed again) without deciding again */
  auditDecision(req: GatewayRequest, decision: Decision): void;
  /** ask tier: reuse a one-time grant (approved+executed result for the same binding) or create an approval with preview */
  hold(req: GatewayRequest, decision: Decision): Promise<GatewayOutcome>;
  /** wait until the approval is executed / denied / expired, or timeoutMs passes ({status:'error'} naming the id with SQLSTATE 57014 then) */
  awaitOutcome(approvalId: string, timeoutMs: number, signal?: AbortSignal): Promise<GatewayOutcome>;
  /** upstream connection settings for the auto path */
  upstream(database: string): { host: string; port: number; user: string; password?: string; database: string; statementTimeoutMs: number };
}
