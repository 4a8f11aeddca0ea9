// Standing approvals ("always allow"): a reviewer's rule that approves the same agent's later
// requests of the same shape, and what an executed write keeps so that a reviewer can revert it.

export const STANDING_KINDS = ['sql', 'api'] as const;
export type StandingKind = (typeof STANDING_KINDS)[number];

export interface StandingApproval {
  id: string;
  createdAt: number;
  /** the reviewer who made it */
  createdBy: string;
  /** the approval it was made from */
  sourceApprovalId: string;
  /** it applies to this agent only (by id: a new agent of the same name is another agent) */
  agentId: string;
  agentName: string;
  kind: StandingKind;
  /** the database, or the integration of an API method */
  database: string;
  /** the statement fingerprint (constants ignored), or the API method */
  match: string;
  /** the source approval's statement or request line, to show what it allows */
  example: string;
  /** CEL that must be true for a request to match (`params`, `literals`, `rows_affected`, `rows`, `tables`; `args` for API calls) */
  condition: string | null;
  comment: string | null;
  expiresAt: number | null;
  maxUses: number | null;
  uses: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

export type NewStandingApproval = Omit<StandingApproval, 'uses' | 'lastUsedAt' | 'revokedAt' | 'revokedBy'>;

export type StandingState = 'active' | 'expired' | 'used-up' | 'revoked';

/** Where a standing approval stands now. */
export function standingState(s: StandingApproval, now = Date.now()): StandingState {
  if (s.revokedAt !== null) return 'revoked';
  if (s.expiresAt !== null && s.expiresAt <= now) return 'expired';
  if (s.maxUses !== null && s.uses >= s.maxUses) return 'used-up';
  return 'active';
}

export interface StandingFilter {
  /** agent name */
  agent?: string;
  /** revoked, expired and used-up ones too (default: active only) */
  all?: boolean;
  /** default 100 */
  limit?: number;
}

/** What a reviewer may give when making a standing approval. */
export interface StandingOptions {
  condition?: string;
  /** ms epoch */
  expiresAt?: number;
  maxUses?: number;
  comment?: string;
}

/** The request a standing approval is looked up for. */
export interface StandingQuery {
  agentId: string;
  kind: StandingKind;
  database: string;
  match: string;
  now: number;
}

/**
 * What an executed UPDATE or INSERT keeps so that it can be reverted: the rows by primary key and a
 * digest of them as the execution left them (a revert runs only while they still match it).
 */
export type UndoRecord =
  | {
      kind: 'update' | 'insert';
      schema: string;
      table: string;
      primaryKey: string[];
      /** UPDATE: the columns it assigned (a revert sets them back) */
      columns: string[];
      /** UPDATE: every changed row as it was before (to_jsonb text); INSERT: every inserted row as inserted */
      rows: string[];
      /** digest and count of the rows (all columns) as the execution left them */
      afterDigest: string;
      afterCount: number;
      /** the first rows as the execution left them (PostgreSQL's text of each column), to show a reviewer */
      afterSample: Record<string, unknown>[];
    }
  | { kind: 'unavailable'; reason: string };
