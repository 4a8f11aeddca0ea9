// Show a reviewer what a held write would do: run it inside BEGIN … ROLLBACK on a dedicated
// read-write session, keep the exact count, a capped sample of written rows (with before-images
// for UPDATE) and a digest of all of them. Statements that could leave a trace are not run.
import { z } from 'zod';
import type { PoolClient } from 'pg';
import type { PreviewSummary } from '../domain/approval.js';
import { asAirlockError, invalidParameterValue } from '../errors.js';
import { formatIssues } from '../domain/issues.js';
import { POOL_KINDS, type UpstreamPools } from '../upstream/pools.js';
import { streamQuery, toObject, uniqueNames } from '../upstream/stream.js';
import { RowDigest, canonicalJson } from './digest.js';
import { analysisRefusal } from './preview-analysis.js';
import { checkPreviewSafety } from './preview-safety.js';
import {
  beforeImageSelect,
  ensureParser,
  statementsOrReason,
  PREVIEWABLE,
  runnable,
  RewriteError,
  type ParsedStatement,
  type RunnableStatement,
} from './rewrite.js';
import { treeOf } from '../sql/tree.js';

export const previewInputSchema = z.object({
  database: z.string().min(1),
  sql: z.string().min(1),
  params: z.array(z.unknown()).default([]),
  /** the policy's analysis of `sql` (Analysis or one StatementAnalysis); its flags can refuse early */
  analysis: z.unknown().optional(),
  rowLimit: z.number().int().min(0).max(10_000).default(50),
  timeoutMs: z.number().int().positive().max(3_600_000).default(5000),
  /** the agent session's search_path, so names resolve as they would for the agent */
  searchPath: z.string().optional(),
});
export type PreviewInput = z.input<typeof previewInputSchema>;

export const unavailable = (reason: string): PreviewSummary => ({ available: false, reason: `preview unavailable: ${reason}` });

const NODE_LABEL: Record<string, string> = {
  VacuumStmt: 'VACUUM/ANALYZE',
  NotifyStmt: 'NOTIFY',
  CallStmt: 'CALL',
  IndexStmt: 'CREATE INDEX',
  TransactionStmt: 'transaction control',
};

/** Parse and choose what may be previewed at all: one INSERT, UPDATE, DELETE or MERGE. */
export async function previewableStatement(sql: string): Promise<ParsedStatement | string> {
  await ensureParser();
  const stmts = statementsOrReason(sql);
  if (typeof stmts === 'string') return stmts;
  if (stmts.length !== 1) return `${stmts.length} statements in one request; only a single INSERT, UPDATE, DELETE or MERGE is previewed`;
  const stmt = stmts[0];
  if (!PREVIEWABLE.has(stmt.node)) {
    return `${NODE_LABEL[stmt.node] ?? stmt.node.replace(/Stmt$/, '')} statements are not previewed (only INSERT, UPDATE, DELETE and MERGE run in a rolled-back transaction)`;
  }
  return stmt;
}

/** Errors of the statement itself become a reason; a lost connection is the caller's problem. */
function isStatementError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  // 08P01 here is a Bind with the wrong number of parameters: the session is fine
  return code === '08P01' || (!code.startsWith('08') && !code.startsWith('57P'));
}

/** Run the preview. Throws only for bad input or an unreachable upstream. */
export async function preview(pools: UpstreamPools, raw: PreviewInput): Promise<PreviewSummary> {
  const parsed = previewInputSchema.safeParse(raw);
  if (!parsed.success) throw invalidParameterValue(`invalid preview request:\n${formatIssues(parsed.error.issues)}`);
  const input = parsed.data;
  const early = analysisRefusal(input.analysis);
  if (early) return unavailable(early);
  const stmt = await previewableStatement(input.sql);
  if (typeof stmt === 'string') return unavailable(stmt);
  let plan: RunnableStatement;
  let before: { sql: string; params: unknown[] } | undefined;
  try {
    plan = runnable(stmt, input.sql);
    const update = treeOf(stmt, 'UpdateStmt');
    if (update) before = beforeImageSelect(update, input.params);
  } catch (err) {
    if (err instanceof RewriteError) return unavailable(err.message);
    throw err;
  }
  return inRolledBackTransaction(pools, input, async (client) => {
    const verdict = await checkPreviewSafety(client, stmt);
    if (verdict.reason) return unavailable(verdict.reason);
    const image = before ? await beforeImage(client, before, input.rowLimit) : null;
    const summary = await runAndPair(client, plan, input, verdict.primaryKey, image?.rows ?? []);
    if (image) {
      summary.beforeDigest = image.digest;
      summary.beforeCount = image.count;
    }
    // MERGE has no RETURNING before PostgreSQL 17, and clock-dependent rows never match twice
    if (stmt.node === 'MergeStmt' || !verdict.deterministic) delete summary.digest;
    return summary;
  });
}

/** BEGIN, the session settings of the preview, fn, ROLLBACK; statement errors become a reason. */
async function inRolledBackTransaction(
  pools: UpstreamPools,
  input: z.infer<typeof previewInputSchema>,
  fn: (client: PoolClient) => Promise<PreviewSummary>,
): Promise<PreviewSummary> {
  const client = await pools.connect(input.database, POOL_KINDS.readWrite);
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query("SELECT set_config('statement_timeout', $1, true)", [String(input.timeoutMs)]);
    if (input.searchPath !== undefined) await client.query("SELECT set_config('search_path', $1, true)", [input.searchPath]);
    return await fn(client);
  } catch (err) {
    if (isStatementError(err)) {
      const e = err as { code: string; message: string };
      if (e.code === '57014') return unavailable(`statement did not finish within ${input.timeoutMs} ms`);
      return unavailable(`statement failed (SQLSTATE ${e.code}): ${e.message}`);
    }
    broken = true;
    throw asAirlockError(err);
  } finally {
    if (!broken) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
    }
    client.release(broken);
  }
}

/** Every row the UPDATE will change, as it is now: digest and count of all, the first `keep` kept. */
export async function beforeImage(client: PoolClient, before: { sql: string; params: unknown[] }, keep: number) {
  const digest = new RowDigest();
  const rows: Record<string, unknown>[] = [];
  let names: string[] | undefined;
  await streamQuery(client, before.sql, before.params, (raw, fields) => {
    names ??= uniqueNames(fields);
    const row = toObject(names, raw);
    digest.add(row);
    if (rows.length < keep) rows.push(row);
  });
  return { rows, count: digest.count, digest: digest.digest() };
}

/** Run the write; keep a sample of written rows, paired by primary key with their before-images. */
async function runAndPair(
  client: PoolClient,
  plan: RunnableStatement,
  input: z.infer<typeof previewInputSchema>,
  pk: string[],
  beforeRows: Record<string, unknown>[],
): Promise<PreviewSummary> {
  const digest = new RowDigest();
  const keyOf = (row: Record<string, unknown>) => canonicalJson(pk.map((c) => row[c]));
  const beforeByKey = new Map<string, Record<string, unknown>>();
  if (pk.length) for (const b of beforeRows) if (!beforeByKey.has(keyOf(b))) beforeByKey.set(keyOf(b), b);
  const matched = new Map<string, Record<string, unknown>>();
  const others: Record<string, unknown>[] = [];
  let names: string[] | undefined;
  let pairable = false;
  const result = await streamQuery(client, plan.text, input.params, (rawRow, fields) => {
    if (!names) {
      names = uniqueNames(fields);
      pairable = pk.length > 0 && pk.every((c) => names!.includes(c));
    }
    const row = toObject(names, rawRow);
    digest.add(row);
    const key = pairable ? keyOf(row) : '';
    if (pairable && beforeByKey.has(key) && !matched.has(key)) matched.set(key, row);
    else if (others.length < input.rowLimit) others.push(row);
  });
  const rows: Record<string, unknown>[] = [];
  const beforeImages: Record<string, unknown>[] = [];
  for (const [key, b] of beforeByKey) {
    const after = matched.get(key);
    if (after && rows.length < input.rowLimit) {
      rows.push(after);
      beforeImages.push(b);
    }
  }
  for (const r of others) if (rows.length < input.rowLimit) rows.push(r);
  const affectedRows = result.rowCount ?? digest.count;
  const summary: PreviewSummary = { available: true, affectedRows, rows, truncated: affectedRows > rows.length, digest: digest.digest() };
  if (plan.stmt.node === 'UpdateStmt') summary.before = pairable ? beforeImages : beforeRows.slice(0, input.rowLimit);
  return summary;
}
