// Execute an approved request exactly once: in one read-write transaction, claim the approval id
// in airlock_meta.executions, run the statement the way the preview ran it, and COMMIT only when
// the affected rows still match what the reviewer saw. Otherwise ROLLBACK and report drift.
import { z } from 'zod';
import type { PoolClient } from 'pg';
import type { QueryResultData } from '../domain/request.js';
import { asAirlockError, invalidParameterValue } from '../errors.js';
import { formatIssues } from '../domain/issues.js';
import { logger } from '../logger.js';
import { POOL_KINDS, type UpstreamPools } from '../upstream/pools.js';
import { streamQuery, toObject, uniqueNames, type FieldInfo } from '../upstream/stream.js';
import { RowDigest } from './digest.js';
import { claimMarker, ensureMarkerTable, forgetMarkerTable, releaseMarker, wasExecuted } from './execute-marker.js';
import { planExecution, type ExecPlan } from './execute-plan.js';
import { beforeImage } from './preview.js';
import { keyCollector, undoAfter, undoBefore, type UndoState } from './undo-capture.js';
import type { UndoRecord } from '../domain/standing.js';

export { wasExecuted } from './execute-marker.js';

export const executeInputSchema = z.object({
  approvalId: z.string().min(1).max(256),
  database: z.string().min(1),
  sql: z.string().min(1),
  params: z.array(z.unknown()).default([]),
  /** from the approved preview; absent (or digest '') when the preview was unavailable or clock-dependent */
  expected: z
    .object({
      affectedRows: z.number().int().nonnegative(),
      digest: z.string().optional(),
      /** UPDATE: the rows it changes, as the reviewer saw them (approvals from before this check have none) */
      beforeDigest: z.string().optional(),
      beforeCount: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /** rows the count may differ by; 0 also requires the row digest to match */
  tolerance: z.number().int().nonnegative().default(0),
  /** cap on rows returned to the agent (rowCount stays exact) */
  rowLimit: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  searchPath: z.string().optional(),
  /** keep what a revert needs (a single UPDATE's before-image, a single INSERT's keys) */
  keepUndo: z.boolean().default(false),
});
export type ExecuteInput = z.input<typeof executeInputSchema>;

export interface Actual {
  affectedRows: number;
  digest?: string;
}

export type ExecuteOutcome =
  | { status: 'executed'; result: QueryResultData; actual: Actual; undo?: UndoRecord }
  | { status: 'drifted'; actual: Actual; expected: Actual; what: 'before-image' | 'result' }
  | { status: 'already-executed' }
  | { status: 'failed'; error: string; code?: string };

const failed = (err: unknown): ExecuteOutcome => {
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  return { status: 'failed', error: code ? `SQLSTATE ${code}: ${e.message}` : String(e?.message ?? err), code };
};

/** Compare with the preview: exact count and digest at tolerance 0, count within tolerance otherwise. */
export function matches(expected: Actual | undefined, actual: Actual, tolerance: number): boolean {
  if (!expected) return true;
  if (tolerance > 0) return Math.abs(actual.affectedRows - expected.affectedRows) <= tolerance;
  if (actual.affectedRows !== expected.affectedRows) return false;
  return !expected.digest || expected.digest === actual.digest;
}

/** A lost or refused connection: worth retrying later, unlike an error of the statement itself. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return (code.startsWith('08') && code !== '08P01') || code.startsWith('57P');
}

/**
 * Run approved SQL once. Statement errors come back as `failed`; a lost upstream connection
 * throws (the queue retries, and the marker decides whether anything committed).
 */
export async function executeApproved(pools: UpstreamPools, raw: ExecuteInput): Promise<ExecuteOutcome> {
  const parsed = executeInputSchema.safeParse(raw);
  if (!parsed.success) throw invalidParameterValue(`invalid execution request:\n${formatIssues(parsed.error.issues)}`);
  const input = parsed.data;
  const plan = await planExecution(input.sql, input.params);
  if (typeof plan === 'string') return { status: 'failed', error: plan, code: '0A000' };
  try {
    await ensureMarkerTable(pools, input.database);
  } catch (err) {
    if (isConnectionError(err)) throw asAirlockError(err);
    return failed(err);
  }
  const client = await pools.connect(input.database, POOL_KINDS.readWrite);
  let destroy = false;
  let outcome: ExecuteOutcome | undefined;
  let thrown: unknown;
  try {
    outcome = await inTransaction(client, input, plan, pools.statementTimeoutMs, () =>
      wasExecuted(pools, input.database, input.approvalId),
    );
  } catch (err) {
    thrown = err;
    await client.query('ROLLBACK').catch(() => {
      destroy = true;
    });
  } finally {
    // a session that ran anything but plain DML (DEALLOCATE, SET, LISTEN …) is not reused
    client.release(destroy || plan.steps.some((s) => !s.write));
  }
  if (outcome) return outcome;
  const code = (thrown as { code?: string }).code;
  if (code === '25001' && plan.steps.length === 1 && !plan.setTransaction) return outsideTransaction(pools, input, plan);
  if (isConnectionError(thrown)) throw asAirlockError(thrown);
  if (code === '42P01' || code === '3F000') forgetMarkerTable(pools, input.database);
  return failed(thrown);
}

/**
 * A single UPDATE re-reads the rows it will change, locked, and holds them against the before-image
 * the reviewer saw: the result alone (`SET balance = 0`) looks the same whatever was overwritten.
 */
async function beforeImageDrift(
  client: PoolClient,
  plan: ExecPlan,
  input: z.infer<typeof executeInputSchema>,
): Promise<Extract<ExecuteOutcome, { status: 'drifted' }> | null> {
  const want = input.expected;
  if (!plan.beforeImage || want?.beforeDigest === undefined || want.beforeCount === undefined) return null;
  const now = await beforeImage(client, plan.beforeImage, 0);
  const expected: Actual = { affectedRows: want.beforeCount, digest: want.beforeDigest };
  const actual: Actual = { affectedRows: now.count, digest: now.digest };
  return matches(expected, actual, input.tolerance) ? null : { status: 'drifted', actual, expected, what: 'before-image' };
}

async function inTransaction(
  client: PoolClient,
  input: z.infer<typeof executeInputSchema>,
  plan: ExecPlan,
  defaultTimeout: number,
  committed: () => Promise<boolean>,
): Promise<ExecuteOutcome> {
  const timeout = input.timeoutMs ?? defaultTimeout;
  await client.query('BEGIN');
  if (plan.setTransaction) await client.query(plan.setTransaction);
  // wait for a concurrent execution of the same id to finish (then fail on the key), within reason
  await client.query("SELECT set_config('statement_timeout', $1, true)", [String(timeout * 2 + 10_000)]);
  if (!(await claimMarker(client, input.approvalId))) {
    await client.query('ROLLBACK');
    return { status: 'already-executed' };
  }
  await client.query("SELECT set_config('statement_timeout', $1, true)", [String(timeout)]);
  if (input.searchPath !== undefined) await client.query("SELECT set_config('search_path', $1, true)", [input.searchPath]);
  const changed = await beforeImageDrift(client, plan, input);
  if (changed) {
    await client.query('ROLLBACK');
    logger.info({ approvalId: input.approvalId, ...changed }, 'rows changed since the preview; rolled back');
    return changed;
  }
  let undo: UndoState | undefined;
  if (input.keepUndo)
    undo =
      typeof plan.undo === 'string' ? { kind: 'unavailable', reason: plan.undo } : await undoBefore(client, plan.undo, plan.beforeImage);
  const keys = undo && keyCollector(undo);
  const run = await runSteps(client, plan, input.params, input.rowLimit, keys?.add);
  const expected = input.expected ? { affectedRows: input.expected.affectedRows, digest: input.expected.digest || undefined } : undefined;
  if (!matches(expected, run.actual, input.tolerance)) {
    await client.query('ROLLBACK');
    logger.info({ approvalId: input.approvalId, expected, actual: run.actual }, 'approved statement drifted; rolled back');
    return { status: 'drifted', actual: run.actual, expected: expected!, what: 'result' };
  }
  const kept = undo && (await undoAfter(client, undo, keys!.result(), run.actual.affectedRows));
  const executed = { status: 'executed' as const, result: run.result, actual: run.actual, ...(kept ? { undo: kept } : {}) };
  try {
    await client.query('COMMIT');
  } catch (err) {
    // the COMMIT may have reached the server even though its answer did not reach us
    if (await committed().catch(() => false)) return executed;
    throw err;
  }
  return executed;
}

async function runSteps(
  client: PoolClient,
  plan: ExecPlan,
  params: unknown[],
  rowLimit?: number,
  onWritten?: (raw: (string | null)[], fields: FieldInfo[]) => void,
) {
  const digest = new RowDigest();
  let writes = 0;
  let affected = 0;
  let result: QueryResultData = { command: '', rowCount: null, fields: [], rows: [] };
  for (const step of plan.steps) {
    const rows: Record<string, unknown>[] = [];
    let names: string[] | undefined;
    const keep = step.addedReturning ? 0 : (rowLimit ?? Number.POSITIVE_INFINITY);
    const r = await streamQuery(client, step.text, params, (raw, fields: FieldInfo[]) => {
      names ??= uniqueNames(fields);
      const row = toObject(names, raw);
      if (step.write) {
        digest.add(row);
        onWritten?.(raw, fields);
      }
      if (rows.length < keep) rows.push(row);
    });
    if (step.write) {
      writes++;
      affected += r.rowCount ?? 0;
    }
    result = { command: r.command, rowCount: r.rowCount, fields: step.addedReturning ? [] : r.fields, rows };
  }
  // one write: its digest is comparable with the preview's; batches are compared by count only
  const actual: Actual = { affectedRows: affected, ...(writes === 1 && plan.steps.length === 1 ? { digest: digest.digest() } : {}) };
  return { result, actual };
}

/**
 * VACUUM, CREATE INDEX CONCURRENTLY and the like refuse transaction blocks: claim the id in its
 * own committed transaction first (at most once), run the statement, release the claim on failure.
 */
async function outsideTransaction(
  pools: UpstreamPools,
  input: z.infer<typeof executeInputSchema>,
  plan: ExecPlan,
): Promise<ExecuteOutcome> {
  const client = await pools.connect(input.database, POOL_KINDS.readWrite);
  try {
    await client.query('BEGIN');
    if (!(await claimMarker(client, input.approvalId))) {
      await client.query('ROLLBACK');
      return { status: 'already-executed' };
    }
    await client.query('COMMIT');
    if (input.timeoutMs) await client.query("SELECT set_config('statement_timeout', $1, false)", [String(input.timeoutMs)]);
    try {
      const r = await streamQuery(client, plan.steps[0].text, input.params, () => undefined);
      return {
        status: 'executed',
        result: { command: r.command, rowCount: r.rowCount, fields: [], rows: [] },
        actual: { affectedRows: r.rowCount ?? 0 },
      };
    } catch (err) {
      await releaseMarker(pools, input.database, input.approvalId).catch(() => undefined);
      return failed(err);
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (isConnectionError(err)) throw asAirlockError(err);
    return failed(err);
  } finally {
    // VACUUM, DISCARD ALL and friends: this session's state is not worth keeping
    client.release(true);
  }
}
