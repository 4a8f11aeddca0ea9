// The contract between front doors (wire, MCP, REST, CLI) and the one gateway service.
// Doors translate their protocol into a GatewayRequest and the outcome back; rules live in policy only.
import type { Decision } from './decision.js';
import type { AirlockError } from '../errors.js';
import type { PreviewSummary } from './approval.js';
import type { ResultCap } from './limits.js';
import type { FieldInfo } from './columns.js';

export const DOORS = ['wire', 'mcp', 'rest', 'cli', 'api'] as const;
export type Door = (typeof DOORS)[number];

export interface Agent {
  id: string;
  name: string;
}

export interface GatewayRequest {
  agent: Agent;
  door: Door;
  /** the upstream database name the agent asked for */
  database: string;
  sql: string;
  params?: unknown[];
  /** MCP client name, wire application_name, HTTP user agent: for the audit trail */
  client?: string;
  /**
   * session facts that bind an approval (role, search_path) and change preview (in a transaction?);
   * the wire's SQL-level prepared statements (name → PREPARE text) decide an EXECUTE of one
   */
  session?: { role?: string; searchPath?: string; inTransaction?: boolean; prepared?: ReadonlyMap<string, string> };
  /** correlation id across audit events */
  requestId?: string;
}

export interface QueryResultData {
  command: string;
  rowCount: number | null;
  fields: FieldInfo[];
  rows: Record<string, unknown>[];
  /** set when a limit of the agent (limits.maxRows / maxResultBytes) cut the rows short */
  cap?: ResultCap;
}

export type GatewayOutcome =
  | { status: 'executed'; decision: Decision; result: QueryResultData; approvalId?: string }
  | { status: 'pending'; decision: Decision; approvalId: string; reviewUrl: string; preview: PreviewSummary }
  | { status: 'blocked'; decision: Decision; error: AirlockError }
  | { status: 'denied'; decision: Decision; approvalId: string; error: AirlockError }
  | { status: 'error'; decision?: Decision; approvalId?: string; error: AirlockError };
