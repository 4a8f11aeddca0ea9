// The audit chain in SQL for both dialects: extending it by a block inside a locked transaction, and
// reading the rows of audit_events that stores from before blocks (migration 0010) still hold.
import { invalidParameterValue } from '../errors.js';
import { GENESIS_HASH, preparedHash, type PreparedAudit } from './chain-hash.js';
import type { Row, SqlExec } from './sql-driver.js';
import type { AppendBatchOptions, AppendBatchResult, CheckpointSigner } from './store.js';
import type { AuditCheckpoint, AuditEvent, AuditFilter } from '../domain/audit.js';
import { blockRow, HASH_HEX, insertBlock, likeEscape, tablesCondition } from './audit-blocks.js';
import { parseDataText, preparedLine } from './audit-lines.js';

export const AUDIT_COLUMNS = [
  'seq',
  'ts',
  'type',
  'agent',
  'door',
  'database',
  'decision',
  'rule',
  'request_id',
  'approval_id',
  'data',
  'tables',
  'prev_hash',
  'hash',
] as const;
const SELECT = `SELECT seq, ts, type, agent, door, database, decision, rule, request_id, approval_id, data, prev_hash, hash FROM audit_events`;

/** One event's values in AUDIT_COLUMNS order. */
export function auditRow(seq: number, p: PreparedAudit, prevHash: string, hash: string): unknown[] {
  const b = p.body;
  return [
    seq,
    b.ts,
    b.type,
    b.agent,
    b.door,
    b.database,
    b.decision,
    b.rule,
    b.request_id,
    b.approval_id,
    p.dataText,
    p.tables,
    prevHash,
    hash,
  ];
}

/** The chain's head: the newest block, or (a store from before blocks) the newest row. */
async function chainHead(tx: SqlExec): Promise<{ seq: number; hash: string }> {
  const block = (
    await tx.all<{ last_seq: unknown; hash: string }>('SELECT last_seq, hash FROM audit_blocks ORDER BY first_seq DESC LIMIT 1')
  )[0];
  if (block) return { seq: Number(block.last_seq), hash: block.hash };
  const row = (await tx.all<{ seq: unknown; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1'))[0];
  return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
}

/**
 * Extend the chain by the batch's blocks. Must run inside a transaction holding the audit lock, so
 * the head read here is still the head when the blocks commit.
 */
export async function appendAuditBlock(
  tx: SqlExec,
  events: readonly PreparedAudit[],
  opts: AppendBatchOptions = {},
): Promise<AppendBatchResult> {
  const journal = opts.journal;
  if (journal) {
    const done = await tx.all<{ applied: unknown }>('SELECT applied FROM audit_journal WHERE journal = ?', [journal.name]);
    if (done.length && Number(done[0].applied) >= journal.end) return { firstSeq: 0, lastSeq: 0, lastHash: '', skipped: true };
  }
  const head = await chainHead(tx);
  const blocks = opts.blocks ?? [{ count: events.length, lines: events.map(preparedLine).join('') }];
  let prev = head.hash;
  let root = '';
  let at = 0;
  if (blocks.reduce((n, b) => n + b.count, 0) !== events.length) throw new Error('audit blocks do not cover the batch');
  for (const block of blocks) {
    if (block.count === 0) continue; // its lines were all damaged: nothing to chain
    const some = events.slice(at, at + block.count);
    const blockPrev = prev;
    let hashes = '';
    for (const p of some) {
      prev = preparedHash(prev, p);
      hashes += prev;
    }
    if (head.seq === 0 && at === 0) root = hashes.slice(0, HASH_HEX);
    await insertBlock(tx, blockRow(head.seq + 1 + at, some, blockPrev, hashes, block.lines));
    at += block.count;
  }
  const seq = head.seq + events.length;
  if (journal) {
    await tx.run(
      `INSERT INTO audit_journal (journal, applied, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (journal) DO UPDATE SET applied = excluded.applied, updated_at = excluded.updated_at`,
      [journal.name, journal.end, Date.now()],
    );
  }
  const checkpoint = opts.checkpoint ? await insertCheckpoint(tx, opts.checkpoint, seq, prev, root || (await rootHash(tx))) : undefined;
  return { firstSeq: head.seq + 1, lastSeq: seq, lastHash: prev, ...(checkpoint ? { checkpoint } : {}) };
}

async function insertCheckpoint(tx: SqlExec, sign: CheckpointSigner, seq: number, hash: string, root: string): Promise<AuditCheckpoint> {
  const c = sign({ seq, hash, root, ts: Date.now() });
  await tx.run('INSERT INTO audit_checkpoints (seq, hash, root, ts, mac) VALUES (?, ?, ?, ?, ?)', [c.seq, c.hash, c.root, c.ts, c.mac]);
  return c;
}

/**
 * Sign the chain's head as it stands, unless it is empty or a checkpoint names it already (another
 * gateway's, or this one's). Inside a transaction holding the audit lock, like appendAuditBlock.
 */
export async function checkpointAuditHead(tx: SqlExec, sign: CheckpointSigner): Promise<AuditCheckpoint | null> {
  const head = await chainHead(tx);
  if (head.seq === 0) return null;
  if ((await tx.all('SELECT 1 AS one FROM audit_checkpoints WHERE seq = ?', [head.seq])).length) return null;
  return insertCheckpoint(tx, sign, head.seq, head.hash, await rootHash(tx));
}

/** The hash of seq 1: which chain this is. */
async function rootHash(tx: SqlExec): Promise<string> {
  const row = (await tx.all<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = 1'))[0];
  if (row) return String(row.hash);
  const block = (
    await tx.all<{ hashes: string }>(`SELECT substr(hashes, 1, ${HASH_HEX}) AS hashes FROM audit_blocks WHERE first_seq = 1`)
  )[0];
  return String(block?.hashes ?? '');
}

export function rowToCheckpoint(row: Row): AuditCheckpoint {
  return { seq: Number(row.seq), hash: String(row.hash), root: String(row.root), ts: Number(row.ts), mac: String(row.mac) };
}

const finiteMs = (name: string, v: number | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!Number.isFinite(v)) throw invalidParameterValue(`audit filter ${name} must be a time in ms`);
  return Math.trunc(v);
};

/** SELECT for a filter: every condition is a bound parameter. */
export function auditQuery(filter: AuditFilter = {}): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const eq = (col: string, v: string | undefined) => {
    if (v === undefined) return;
    where.push(`${col} = ?`);
    params.push(v);
  };
  eq('agent', filter.agent);
  eq('door', filter.door);
  eq('database', filter.database);
  if (filter.search !== undefined && filter.search !== '') {
    const q = `%${likeEscape(filter.search.toLowerCase())}%`;
    const cols = ['data', 'type', 'agent', 'rule', 'approval_id', 'request_id', 'database'];
    where.push(`(${cols.map((c) => `LOWER(COALESCE(${c}, '')) LIKE ? ESCAPE '\\'`).join(' OR ')})`);
    params.push(...cols.map(() => q));
  }
  eq('decision', filter.decision);
  eq('type', filter.type);
  eq('approval_id', filter.approvalId);
  if (filter.table !== undefined) tablesCondition(filter.table, where, params);
  const since = finiteMs('since', filter.since);
  const until = finiteMs('until', filter.until);
  const cond = (sql: string, value: unknown) => {
    where.push(sql);
    params.push(value);
  };
  if (since !== undefined) cond('ts >= ?', since);
  if (until !== undefined) cond('ts <= ?', until);
  if (filter.afterSeq !== undefined) cond('seq > ?', Math.trunc(filter.afterSeq));
  if (filter.beforeSeq !== undefined) {
    where.push('seq < ?');
    params.push(Math.trunc(filter.beforeSeq));
  }
  const limit = filter.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) throw invalidParameterValue('audit filter limit must be a positive integer');
  const order = filter.order === 'asc' ? 'ASC' : 'DESC';
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  return { sql: `${SELECT}${clause} ORDER BY seq ${order} LIMIT ${limit}`, params };
}

/** One page of the chain in seq order, for streaming verify/export. */
export function auditPageQuery(fromSeq: number, pageSize: number): { sql: string; params: unknown[] } {
  return { sql: `${SELECT} WHERE seq >= ? ORDER BY seq ASC LIMIT ${pageSize}`, params: [Math.trunc(fromSeq)] };
}

export function rowToAuditEvent(row: Row): AuditEvent {
  const data = parseDataText(String(row.data));
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    seq: Number(row.seq),
    ts: Number(row.ts),
    type: String(row.type),
    agent: text(row.agent),
    door: text(row.door),
    database: text(row.database),
    decision: text(row.decision),
    rule: text(row.rule),
    request_id: text(row.request_id),
    approval_id: text(row.approval_id),
    data,
    prev_hash: String(row.prev_hash),
    hash: String(row.hash),
  };
}
