// API calls through the multi-API proxy: what a door asks for, what the policy needs to know of the
// method (its tiers and compiled argument conditions), and what comes back. Pure types.
import type { Agent } from './request.js';
import type { Decision, Tier } from './decision.js';
import type { AirlockError } from '../errors.js';

/** One argument condition of a method, compiled (CEL) by the integration loader. */
export interface ArgCondition {
  when: string;
  tier: Tier;
  approvals?: number;
  reason?: string;
  /** true/false, or an Error when the expression cannot be evaluated on these arguments */
  test(args: Record<string, unknown>): boolean | Error;
}

/** What the policy sees of a method. */
export interface ApiMethodFacts {
  integration: string;
  method: string;
  verb: string;
  tier: Tier;
  conditions: readonly ArgCondition[];
}

export interface ApiCallRequest {
  agent: Agent;
  /** 'api' (HTTP /v1/call and /proxy), 'mcp' (integration tools) or 'cli' */
  door: 'api' | 'mcp' | 'cli';
  integration: string;
  method: string;
  args: Record<string, unknown>;
  requestId?: string;
}

/** The upstream's answer, scrubbed of every vault secret. */
export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** The request a reviewer and the agent are shown (credentials never included). */
export interface ApiRequestView {
  method: string;
  url: string;
  body?: unknown;
}

export type ApiCallOutcome =
  | { status: 'done'; decision: Decision; response: ApiResponse }
  | {
      status: 'pending';
      decision: Decision;
      approvalId: string;
      reviewUrl: string;
      request: ApiRequestView;
    }
  | { status: 'blocked'; decision: Decision; error: AirlockError }
  | { status: 'denied'; decision: Decision; approvalId: string; error: AirlockError }
  | { status: 'error'; decision?: Decision; approvalId?: string; error: AirlockError };
