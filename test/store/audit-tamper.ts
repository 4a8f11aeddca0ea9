// Tampering with stored audit events as someone with write access to the store would, for the tests
// that check that verify finds it. Events live in audit blocks (one row per appended batch: the
// lines as journaled and every event's hash), so these edit a block's text, not a row per event.
import Database from 'better-sqlite3';
import { HASH_HEX } from '../../src/store/audit-blocks.js';
import { decodeAuditLines, preparedLine } from '../../src/store/audit-lines.js';
import type { PreparedAudit } from '../../src/store/chain-hash.js';
import type { StoreTarget } from './fixtures.js';

type Raw = Pick<StoreTarget, 'kind' | 'raw'>;

/** A better-sqlite3 file as a raw side connection (for tests that hold only a store URL). */
export function sqliteRaw(file: string): Raw & { close(): void } {
  const db = new Database(file, { timeout: 10_000 });
  return {
    kind: 'sqlite',
    async raw(sql, params = []) {
      const st = db.prepare(sql);
      if (st.reader) return st.all(params) as Record<string, unknown>[];
      st.run(params);
      return [];
    },
    close: () => db.close(),
  };
}

const p = (t: Raw, n: number) => (t.kind === 'sqlite' ? '?' : `$${n}`);

interface Block {
  first: number;
  events: PreparedAudit[];
  hashes: string[];
}

async function blockWith(t: Raw, seq: number): Promise<Block> {
  const [row] = await t.raw(`SELECT first_seq, hashes, lines FROM audit_blocks WHERE first_seq <= ${p(t, 1)} AND last_seq >= ${p(t, 2)}`, [
    seq,
    seq,
  ]);
  if (!row) throw new Error(`no audit block holds seq ${seq}`);
  const hashes = String(row.hashes);
  return {
    first: Number(row.first_seq),
    events: decodeAuditLines(String(row.lines)),
    hashes: Array.from({ length: hashes.length / HASH_HEX }, (_, i) => hashes.slice(i * HASH_HEX, (i + 1) * HASH_HEX)),
  };
}

async function save(t: Raw, b: Block, lines = b.events.map(preparedLine).join('')): Promise<void> {
  await t.raw(`UPDATE audit_blocks SET lines = ${p(t, 1)}, hashes = ${p(t, 2)}, last_seq = ${p(t, 3)} WHERE first_seq = ${p(t, 4)}`, [
    lines,
    b.hashes.join(''),
    b.first + b.events.length - 1,
    b.first,
  ]);
}

/** Rewrite event `seq` in place (its stored hash too, when given: a forger who re-hashes it). */
export async function alterEvent(t: Raw, seq: number, change: (e: PreparedAudit) => PreparedAudit, hash?: string): Promise<void> {
  const b = await blockWith(t, seq);
  b.events[seq - b.first] = change(b.events[seq - b.first]);
  if (hash) b.hashes[seq - b.first] = hash;
  await save(t, b);
}

/** Replace event `seq`'s data text with anything, valid JSON or not. */
export async function setDataText(t: Raw, seq: number, dataText: string): Promise<void> {
  await alterEvent(t, seq, (e) => ({ ...e, dataText }));
}

/** Remove event `seq` and its hash (the later events of its block move up one seq). */
export async function deleteEvent(t: Raw, seq: number): Promise<void> {
  const b = await blockWith(t, seq);
  b.events.splice(seq - b.first, 1);
  b.hashes.splice(seq - b.first, 1);
  await save(t, b);
}

/** Remove every event after `seq` (the newest ones). */
export async function deleteAfter(t: Raw, seq: number): Promise<void> {
  await t.raw(`DELETE FROM audit_blocks WHERE first_seq > ${p(t, 1)}`, [seq]);
  const b = await blockWith(t, seq);
  b.events.length = b.hashes.length = seq - b.first + 1;
  await save(t, b);
}

/** The stored text of every event (what someone reading the store's file sees). */
export async function storedAuditText(t: Raw): Promise<string> {
  return (await t.raw('SELECT lines FROM audit_blocks')).map((r) => String(r.lines)).join('');
}
