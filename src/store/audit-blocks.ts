// Audit blocks (migration 0010): the chain stored one row per appended batch — the batch's lines as
// journaled, every event's chain hash, and summaries of the filtered columns. Listing decodes only
// the blocks whose summaries can match and filters their events exactly as the row query does.
import { decodeAuditLines, parseDataText } from './audit-lines.js';
import type { PreparedAudit } from './chain-hash.js';
import type { Row, SqlDriver, SqlExec } from './sql-driver.js';
import type { AuditEvent, AuditFilter } from '../domain/audit.js';

export const BLOCK_COLUMNS = [
  'first_seq',
  'last_seq',
  'min_ts',
  'max_ts',
  'types',
  'decisions',
  'doors',
  'databases',
  'tables',
  'prev_hash',
  'hash',
  'hashes',
  'lines',
] as const;

export const INSERT_BLOCK = `INSERT INTO audit_blocks (${BLOCK_COLUMNS.join(', ')}) VALUES (${BLOCK_COLUMNS.map(() => '?').join(', ')})`;
const SELECT_BLOCK = 'SELECT first_seq, prev_hash, hashes, lines FROM audit_blocks';
/** blocks read per round trip: at most this many (a block holds up to a batch: hundreds of events) */
const BLOCK_PAGE = 16;
/** candidate blocks found per scan */
const IDS_PAGE = 1024;
/** the width of one hash in a block's hashes (sha256 hex) */
export const HASH_HEX = 64;
/** key rows per INSERT (3 parameters each: well under either database's limit) */
const KEYS_PER_INSERT = 200;

/** ",a,b," of the distinct values, like the tables column: a LIKE '%,a,%' finds a superset. */
const summary = (values: Set<string>) => (values.size ? `,${[...values].join(',')},` : '');

/** Distinct values in first-seen order; a run of one value (as a batch mostly is) costs a comparison, not a hash. */
class Distinct {
  readonly values = new Set<string>();
  private last: string | null = null;

  add(v: string | null): void {
    if (v === null || v === this.last) return;
    this.last = v;
    this.values.add(v);
  }
}

/** A block's row: its values in BLOCK_COLUMNS order, and its audit_block_keys rows (kind, value, first_seq). */
export interface BlockRow {
  values: unknown[];
  keys: unknown[][];
}

/** One block; `hashes` is every event's hash, in order, concatenated. */
export function blockRow(firstSeq: number, events: readonly PreparedAudit[], prevHash: string, hashes: string, lines: string): BlockRow {
  let minTs = Infinity;
  let maxTs = -Infinity;
  const [agents, approvals, types, decisions, doors, databases, tables] = Array.from({ length: 7 }, () => new Distinct());
  for (const { body: b, tables: t } of events) {
    if (b.ts < minTs) minTs = b.ts;
    if (b.ts > maxTs) maxTs = b.ts;
    agents.add(b.agent);
    approvals.add(b.approval_id);
    types.add(b.type);
    decisions.add(b.decision);
    doors.add(b.door);
    databases.add(b.database);
    tables.add(t);
  }
  const last = firstSeq + events.length - 1;
  const head = hashes.slice(-HASH_HEX);
  const keys = [...agents.values].map((a) => ['agent', a, firstSeq]).concat([...approvals.values].map((a) => ['approval', a, firstSeq]));
  const values = [
    firstSeq,
    last,
    minTs,
    maxTs,
    summary(types.values),
    summary(decisions.values),
    summary(doors.values),
    summary(databases.values),
    [...tables.values].join(''),
    prevHash,
    head,
    hashes,
    lines,
  ];
  return { values, keys };
}

/** Store one block and its keys (inside the caller's transaction). */
export async function insertBlock(tx: SqlExec, block: BlockRow): Promise<void> {
  await tx.run(INSERT_BLOCK, block.values);
  for (let i = 0; i < block.keys.length; i += KEYS_PER_INSERT) {
    const some = block.keys.slice(i, i + KEYS_PER_INSERT);
    await tx.run(`INSERT INTO audit_block_keys (kind, value, first_seq) VALUES ${some.map(() => '(?, ?, ?)').join(', ')}`, some.flat());
  }
}

/** An event of a block, decoded; data stays text until the event is returned. */
interface Entry {
  seq: number;
  p: PreparedAudit;
  prevHash: string;
  hash: string;
}

function blockEntries(row: Row): Entry[] {
  const hashes = String(row.hashes);
  const first = Number(row.first_seq);
  let prev = String(row.prev_hash);
  return decodeAuditLines(String(row.lines)).map((p, i) => {
    const hash = hashes.slice(i * HASH_HEX, (i + 1) * HASH_HEX);
    const e = { seq: first + i, p, prevHash: prev, hash };
    prev = hash;
    return e;
  });
}

/** The same event, field for field, that a row of audit_events gives. */
function toEvent({ seq, p, prevHash, hash }: Entry): AuditEvent {
  const b = p.body;
  return {
    seq,
    ts: b.ts,
    type: b.type,
    agent: b.agent,
    door: b.door,
    database: b.database,
    decision: b.decision,
    rule: b.rule,
    request_id: b.request_id,
    approval_id: b.approval_id,
    data: parseDataText(p.dataText),
    prev_hash: prevHash,
    hash,
  };
}

/** The row query's WHERE clause (auditQuery) as a predicate on decoded events. */
function matcher(f: AuditFilter): (e: Entry) => boolean {
  const q = f.search ? f.search.toLowerCase() : null;
  const has = (v: string | null) => v !== null && v.toLowerCase().includes(q!);
  const table = f.table === undefined ? null : f.table.toLowerCase();
  const eq = (want: string | undefined, v: string | null) => want === undefined || v === want;
  return ({ seq, p }) => {
    const b = p.body;
    if (!eq(f.agent, b.agent) || !eq(f.door, b.door) || !eq(f.database, b.database)) return false;
    if (!eq(f.decision, b.decision) || !eq(f.type, b.type) || !eq(f.approvalId, b.approval_id)) return false;
    if (f.since !== undefined && b.ts < Math.trunc(f.since)) return false;
    if (f.until !== undefined && b.ts > Math.trunc(f.until)) return false;
    if (f.afterSeq !== undefined && seq <= Math.trunc(f.afterSeq)) return false;
    if (f.beforeSeq !== undefined && seq >= Math.trunc(f.beforeSeq)) return false;
    if (table !== null) {
      const t = p.tables ?? '';
      if (!t.includes(`,${table},`) && !t.includes(`.${table},`)) return false;
    }
    if (q === null) return true;
    return has(p.dataText) || has(b.type) || has(b.agent) || has(b.rule) || has(b.approval_id) || has(b.request_id) || has(b.database);
  };
}

export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A tables column (",s.t,u,") names `table`: `users` matches users and any_schema.users; `public.users` only that. */
export function tablesCondition(table: string, where: string[], params: unknown[]): void {
  const t = likeEscape(table.toLowerCase());
  where.push(`(tables LIKE ? ESCAPE '\\' OR tables LIKE ? ESCAPE '\\')`);
  params.push(`%,${t},%`, `%.${t},%`);
}

/** what JSON.stringify writes differently from the text itself */
const JSON_ESCAPED = /["\\\u0000-\u001f\uD800-\uDFFF]/;

/** The blocks that can hold a match, by their summaries, lines and seq/ts ranges; keyset-paged by first_seq. */
function blockQuery(
  f: AuditFilter,
  like: 'LIKE' | 'ILIKE',
  desc: boolean,
  cursor: number | null,
  limit: number,
): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const cond = (sql: string, value: unknown) => {
    where.push(sql);
    params.push(value);
  };
  const holds = (col: string, v: string | undefined) => v !== undefined && cond(`${col} LIKE ? ESCAPE '\\'`, `%,${likeEscape(v)},%`);
  const keyed = (kind: string, v: string | undefined) =>
    v !== undefined && cond(`first_seq IN (SELECT first_seq FROM audit_block_keys WHERE kind = '${kind}' AND value = ?)`, v);
  keyed('agent', f.agent);
  keyed('approval', f.approvalId);
  holds('types', f.type);
  holds('decisions', f.decision);
  holds('doors', f.door);
  holds('databases', f.database);
  // each event's ",s.t,u," once, concatenated: the row query's patterns find a superset
  if (f.table !== undefined) tablesCondition(f.table, where, params);
  // free text: a block whose lines do not hold it holds no match (the lines hold every searched field,
  // JSON-escaped: so only for text that JSON leaves as it is)
  if (f.search && !JSON_ESCAPED.test(f.search)) cond(`lines ${like} ? ESCAPE '\\'`, `%${likeEscape(f.search.toLowerCase())}%`);
  if (f.since !== undefined) cond('max_ts >= ?', Math.trunc(f.since));
  if (f.until !== undefined) cond('min_ts <= ?', Math.trunc(f.until));
  if (f.afterSeq !== undefined) cond('last_seq > ?', Math.trunc(f.afterSeq));
  if (f.beforeSeq !== undefined) cond('first_seq < ?', Math.trunc(f.beforeSeq));
  if (cursor !== null) cond(desc ? 'first_seq < ?' : 'first_seq > ?', cursor);
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  return { sql: `SELECT first_seq FROM audit_blocks${clause} ORDER BY first_seq ${desc ? 'DESC' : 'ASC'} LIMIT ${limit}`, params };
}

/**
 * Up to `limit` events of the blocks matching `f` (validated by auditQuery), newest first unless asc.
 * The candidate blocks are found by one scan per IDS_PAGE of them (a planner may well scan every
 * block for a condition on the lines: that must not happen once per page), then read a few at a time.
 */
export async function listBlockEvents(db: Pick<SqlDriver, 'all' | 'dialect'>, f: AuditFilter, limit: number): Promise<AuditEvent[]> {
  const like = db.dialect === 'postgres' ? 'ILIKE' : 'LIKE'; // SQLite's LIKE ignores ASCII case, as its LOWER does
  const desc = f.order !== 'asc';
  const match = matcher(f);
  const out: AuditEvent[] = [];
  // the first scan looks for a few candidates only (a listing's page is usually in the newest blocks)
  for (let cursor: number | null = null, want = BLOCK_PAGE; ; want = IDS_PAGE) {
    const q = blockQuery(f, like, desc, cursor, want);
    const ids = (await db.all(q.sql, q.params)).map((r) => Number(r.first_seq));
    // a page of a listing is usually in the newest block: read one, then twice as many each time
    for (let i = 0, page = 1; i < ids.length; i += page, page = Math.min(page * 2, BLOCK_PAGE)) {
      const some = ids.slice(i, i + page);
      const rows = await db.all(
        `${SELECT_BLOCK} WHERE first_seq IN (${some.map(() => '?').join(', ')}) ORDER BY first_seq ${desc ? 'DESC' : 'ASC'}`,
        some,
      );
      for (const row of rows) {
        const entries = blockEntries(row);
        if (desc) entries.reverse();
        for (const e of entries) {
          if (!match(e)) continue;
          out.push(toEvent(e));
          if (out.length >= limit) return out;
        }
      }
    }
    if (ids.length < want) return out;
    cursor = ids[ids.length - 1];
  }
}

/** Every stored block's events from `fromSeq` on, in seq order (verify, export). */
export async function* iterateBlockEvents(db: Pick<SqlExec, 'all'>, fromSeq: number): AsyncIterable<AuditEvent> {
  let rows = await db.all(`${SELECT_BLOCK} WHERE last_seq >= ? ORDER BY first_seq ASC LIMIT ${BLOCK_PAGE}`, [Math.trunc(fromSeq)]);
  while (rows.length) {
    for (const row of rows) for (const e of blockEntries(row)) if (e.seq >= fromSeq) yield toEvent(e);
    if (rows.length < BLOCK_PAGE) return;
    const cursor = Number(rows[rows.length - 1].first_seq);
    rows = await db.all(`${SELECT_BLOCK} WHERE first_seq > ? ORDER BY first_seq ASC LIMIT ${BLOCK_PAGE}`, [cursor]);
  }
}
