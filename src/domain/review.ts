// What a reviewer is shown beside an approval: risk hints, the exact API request, who waits.

export const RISK_LEVELS = ['high', 'medium', 'low'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export interface RiskHint {
  code: 'many-rows' | 'no-where' | 'production' | 'no-preview' | 'multi-statement' | 'schema-change' | 'dual-approval' | 'flag';
  level: RiskLevel;
  text: string;
}

/** The exact HTTP request of an approval made by the API proxy (door `api`). */
export interface ApiRequestView {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ReviewFacts {
  /** the strictest hint's level; `low` when there is none */
  risk: RiskLevel;
  risks: RiskHint[];
  target: { kind: 'database' | 'integration'; name: string };
  /** statement kinds and written tables, from the decision */
  kinds: string[];
  tables: string[];
  /** per after-row of the preview: the columns whose value changes (UPDATE) */
  changed: string[][];
  /** set for API-call approvals once the record carries the request */
  request: ApiRequestView | null;
  /** clients of this gateway waiting on the outcome right now (a psql session, an MCP long-poll) */
  waiting: number;
}
