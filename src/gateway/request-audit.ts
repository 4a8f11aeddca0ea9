// What the gateway writes to the audit trail about requests: each decision (on the wire proxy's hot
// path, as a pre-encoded line; API calls as events), the refusal while the trail cannot keep up, and
// failures after a decision. Nothing runs unaudited: while the log is refusing, every request is
// refused with 58030. Every door's decisions pass here, so this is also where they are counted.
import type { AuditLog } from '../audit/audit-log.js';
import { decisionLineParts, encodeDecisionLine, type DecisionLineParts } from '../audit/audit-line.js';
import type { Decision } from '../domain/decision.js';
import type { Door, GatewayRequest } from '../domain/request.js';
import type { AuditInput } from '../domain/audit.js';
import type { Tier } from '../domain/decision.js';
import { auditUnavailable, type AirlockError } from '../errors.js';
import { shapeOrigin } from '../policy/shape-cache.js';
import type { GatewayMetrics } from './metrics.js';

const AUDIT_SQL_CHARS = 4096;

const sqlOf = (req: GatewayRequest) => (typeof req.sql === 'string' ? req.sql.slice(0, AUDIT_SQL_CHARS) : null);

/** the constant parts of a decision's audit line, memoized because cached decisions repeat */
const auditParts = new WeakMap<Decision, DecisionLineParts>();
function partsOf(decision: Decision): DecisionLineParts {
  // a decision taken from its shape shares its parts with the shape's (only its SQL text differs)
  const origin = shapeOrigin(decision) ?? decision;
  let p = auditParts.get(origin);
  if (!p) {
    const tables = new Set<string>();
    for (const st of decision.statements) {
      for (const t of st.tablesRead) tables.add(t);
      for (const t of st.tablesWritten) tables.add(t);
    }
    p = decisionLineParts(
      decision,
      decision.statements.map((st) => st.kind),
      [...tables],
    );
    auditParts.set(origin, p);
  }
  return p;
}

export class RequestAudit {
  constructor(
    private readonly audit: AuditLog,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** Record a decision; throws 58030 (after recording the refusal) while the trail cannot keep up. */
  decision(req: GatewayRequest, decision: Decision): void {
    if (this.audit.refusing) this.refuse(req);
    this.audit.appendLine(
      encodeDecisionLine(partsOf(decision), {
        ts: Date.now(),
        agent: req.agent.name,
        door: req.door,
        database: req.database,
        requestId: req.requestId,
        client: req.client,
        sql: sqlOf(req),
      }),
    );
    this.metrics.decided(req.door, decision.decision);
  }

  /** Record an API call's decision (an event with the request it would send). */
  apiDecision(event: AuditInput & { type: 'decision'; door: Door; decision: Tier }): void {
    this.audit.append(event);
    this.metrics.decided(event.door, event.decision);
  }

  /** The 58030 error while the trail is refusing (counted), else null: for doors that answer it themselves. */
  refusal(door: Door): AirlockError | null {
    const health = this.audit.health();
    if (!health.refusing) return null;
    this.metrics.refused(door);
    return auditUnavailable(health.reason ?? 'the audit trail is unavailable');
  }

  /** Throws 58030 now if the trail is refusing (checked before any work is done for a request). */
  admit(req: GatewayRequest): void {
    if (this.audit.refusing) this.refuse(req);
  }

  private refuse(req: GatewayRequest): never {
    this.metrics.refused(req.door);
    const reason = this.audit.health().reason ?? 'the audit trail is unavailable';
    this.audit.append({
      type: 'error',
      agent: req.agent.name,
      door: req.door,
      database: req.database,
      requestId: req.requestId ?? null,
      data: { code: '58030', reason, sql: sqlOf(req) },
    });
    throw auditUnavailable(reason);
  }

  /**
   * A request failed after its decision (preview, queue, execution): the error, with its code, and
   * the statement (wire requests carry no request id: the text ties the failure to its decision).
   */
  failure(req: GatewayRequest, type: 'error' | 'execution.failed', decision: Decision, error: AirlockError): void {
    this.audit.append({
      type,
      agent: req.agent.name,
      door: req.door,
      database: req.database,
      decision: decision.decision,
      rule: decision.rule,
      requestId: req.requestId ?? null,
      data: { error: error.message, code: error.code, sql: sqlOf(req) },
    });
  }

  /** Before any result goes back to an agent: everything audited so far (or the first upTo events) is durable, or 58030. */
  ensureDurable(upTo?: number): void {
    this.audit.ensureDurable(upTo);
  }

  /** Events audited so far: the mark of what a caller has appended. */
  get mark(): number {
    return this.audit.mark;
  }
}
