// What the console API answers, in the server's own types (type-only imports: nothing from the
// server ends up in the bundle).
import type { ApprovalRecord } from '../../src/domain/approval.js';
import type { AuditEvent } from '../../src/domain/audit.js';
import type { AgentRecord } from '../../src/domain/agent.js';
import type { ReviewerRecord } from '../../src/domain/reviewer.js';
import type { ReviewFacts, RiskHint, RiskLevel, ApiRequestView } from '../../src/domain/review.js';
import type { EffectivePolicy, IntegrationsView } from '../../src/gateway/console-facet.js';
import type { VerifyResult } from '../../src/domain/audit.js';

export type {
  AuditEvent,
  AgentRecord,
  ReviewerRecord,
  ReviewFacts,
  RiskHint,
  RiskLevel,
  ApiRequestView,
  EffectivePolicy,
  IntegrationsView,
  VerifyResult,
};

/** An approval as the console API shows it (src/rest/console/approval-routes.ts approvalView). */
export type ApprovalView = Omit<ApprovalRecord, 'binding' | 'requestKey'> & { reviewUrl: string; facts: ReviewFacts };

export interface SessionInfo {
  reviewer: string;
  admin: boolean;
  csrf: string;
  expiresAt: number;
}

export interface ConsoleSettings {
  denyReasons: string[];
  manyRowsThreshold: number;
}

export interface ConnectHelp {
  postgresUrl: string | null;
  psql: string | null;
  mcp: unknown;
}

export type Row = Record<string, unknown>;
