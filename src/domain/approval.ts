// Approvals: their states, the preview a reviewer sees, and the record every layer passes around.
import type { Decision } from './decision.js';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'executing', 'executed', 'failed', 'drifted'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface PreviewSummary {
  available: boolean;
  /** "preview unavailable: <reason>" when not available */
  reason?: string;
  affectedRows?: number;
  /** the rows the statement would write (capped) */
  rows?: Record<string, unknown>[];
  /** before-image of updated rows (capped) */
  before?: Record<string, unknown>[];
  truncated?: boolean;
  /** digest of every row the write returns (its after-image) */
  digest?: string;
  /** UPDATE: digest and count of every row it changes, as they were (execution re-reads and compares them) */
  beforeDigest?: string;
  beforeCount?: number;
}

export interface ApprovalVote {
  reviewer: string;
  at: number;
  comment?: string;
}

export interface ApprovalRecord {
  id: string;
  status: ApprovalStatus;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  agentId: string;
  agentName: string;
  door: string;
  database: string;
  sql: string;
  params: unknown[] | null;
  /** hex digest of (sql, params, agent, database, role, search_path, preview digest) */
  binding: string;
  decision: Decision | null;
  preview: PreviewSummary | null;
  requiredApprovals: number;
  approvals: ApprovalVote[];
  deniedBy: string | null;
  comment: string | null;
  result: unknown;
  error: string | null;
  attempts: number;
  /** bumped by every update; use it as `expectVersion` for read-modify-write */
  version: number;
  /** hash of the request alone (no preview): finds "the identical statement" for one-time grants */
  requestKey: string | null;
  /** when a retry consumed the executed result (one-time grant); null while unused */
  grantUsedAt: number | null;
  /** an API call (door api or an integration tool): the exact call approved; null for SQL */
  call: ApiCallSpec | null;
  /** made by this standing approval ("always allow"), not by a reviewer's vote; null otherwise */
  standingId?: string | null;
  /** a reviewer's revert of this (executed) approval; null otherwise */
  revertOf?: string | null;
  /** while `executing`: until when (ms) its worker holds it; renewed while it runs, then left to lapse */
  leaseUntil?: number | null;
}

/** The exact API call an approval covers; `database` holds the integration and `sql` the request line. */
export interface ApiCallSpec {
  integration: string;
  method: string;
  /** canonical arguments (what is executed, exactly) */
  args: Record<string, unknown>;
  /** what will be sent, credentials never included */
  request: { method: string; url: string; body?: unknown };
}

/** What a caller supplies to create an approval; the rest gets defaults. */
export type NewApproval = Pick<
  ApprovalRecord,
  'id' | 'status' | 'expiresAt' | 'agentId' | 'agentName' | 'door' | 'database' | 'sql' | 'binding'
> &
  Partial<Omit<ApprovalRecord, 'version'>>;

export type ApprovalPatch = Partial<Omit<ApprovalRecord, 'id' | 'createdAt' | 'version'>>;

export interface ApprovalUpdate {
  /** update only when the current status is one of these */
  fromStatus: readonly ApprovalStatus[];
  /** and, when given, only when the version still matches */
  expectVersion?: number;
  patch: ApprovalPatch;
}

export interface ApprovalFilter {
  status?: ApprovalStatus | readonly ApprovalStatus[];
  /** agent name */
  agent?: string;
  /** default 100 */
  limit?: number;
}

/** An approval row that changed: enough for a live view to know what to fetch again. */
export interface ApprovalChange {
  id: string;
  status: ApprovalStatus;
  version: number;
  updatedAt: number;
}

/** What changed: a row (with its new status) or something about it only this process knows (waiting clients). */
export interface ApprovalSignal {
  id: string;
  status?: ApprovalStatus;
}

export type ApprovalListener = (signal: ApprovalSignal) => void;
