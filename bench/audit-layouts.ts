// What issue 17's audit target (≤ 5 µs of CPU per statement, all threads) leaves room for: the CPU
// per event of each part of the audit writer measured alone in one thread, on the wire proxy's
// decision lines in batches of the size the worker sees at 30,000/s (~690 events per 20 ms group
// commit): decoding and hashing (the real decodeAuditLines and preparedHash), then the SQLite insert
// and commit for three layouts — the store's audit_events table as migrated (row per event, its
// indexes), the same without its secondary indexes, and one row per batch (a block holding the batch's
// journal text as it came, and its hashes). Last, the cheapest chain a block layout allows: one
// sha256 per block over the previous block's hash and its text, so the writer decodes nothing.
// Prints µs per event; no target is judged here (audit-cpu measures the real writer).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { decisionLineParts, decodeAuditLines, encodeDecisionLine } from '../src/audit/audit-line.js';
import { GENESIS_HASH, preparedHash, type PreparedAudit } from '../src/store/chain-hash.js';
import { openStore } from '../src/store/open.js';
import { AUDIT_COLUMNS, auditRow } from '../src/store/audit-sql.js';
import { blockRow, INSERT_BLOCK } from '../src/store/audit-blocks.js';
import { allCpuUs } from './audit-cpu.js';

const BATCH = 690;
const BATCHES = Number(process.env.AIRLOCK_BENCH_LAYOUT_BATCHES ?? 250);
const WARM = 30;

function batchTexts(): string[] {
  const parts = decisionLineParts(
    { decision: 'auto', rule: 'auto.read', reason: 'read-only query with only safe functions' },
    ['read'],
    ['pgbench_accounts'],
  );
  const out: string[] = [];
  for (let b = 0, n = 0; b < BATCHES + WARM; b++) {
    let t = '';
    for (let k = 0; k < BATCH; k++, n++) {
      const sql = `SELECT abalance FROM pgbench_accounts WHERE aid = ${n % 100_000};`;
      t += encodeDecisionLine(parts, { ts: Date.now(), agent: 'bench', door: 'wire', database: 'bench', client: 'pgbench', sql });
    }
    out.push(Buffer.from(t).toString()); // flat, as the worker receives it (not a rope of 690 pieces)
  }
  return out;
}

type Row = [PreparedAudit, string, string];
type Layout = (rows: Row[], text: string, seq: number) => void;

function rowPerEvent(db: Database.Database): Layout {
  const st = db.prepare(`INSERT INTO audit_events (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`);
  return (rows, _text, seq) => {
    for (const [p, prev, hash] of rows) st.run(auditRow(++seq, p, prev, hash));
  };
}

/** The store's layout since migration 0010: a block per batch (its journal text, hashes and summaries). */
function blockPerBatch(db: Database.Database): Layout {
  const st = db.prepare(INSERT_BLOCK);
  const key = db.prepare('INSERT INTO audit_block_keys (kind, value, first_seq) VALUES (?, ?, ?)');
  return (rows, text, seq) => {
    let hashes = '';
    for (const r of rows) hashes += r[2];
    const block = blockRow(
      seq + 1,
      rows.map((r) => r[0]),
      rows[0][1],
      hashes,
      text,
    );
    st.run(block.values);
    for (const k of block.keys) key.run(k);
  };
}

/** A migrated SQLite store file (the real schema), opened again with better-sqlite3 as the writer does. */
async function migratedFile(dir: string, name: string): Promise<Database.Database> {
  const path = join(dir, name);
  await (await openStore(`sqlite:${path}`)).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

export async function benchAuditLayouts(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-layouts-'));
  const open: Database.Database[] = [];
  try {
    const targets: { name: string; db: Database.Database; write: Layout; insert: number; commit: number }[] = [];
    for (const [name, layout, dropIndexes] of [
      ['row_per_event', rowPerEvent, false],
      ['row_per_event_no_indexes', rowPerEvent, true],
      ['block_per_batch', blockPerBatch, false],
    ] as const) {
      const db = await migratedFile(dir, `${name}.sqlite`);
      open.push(db);
      db.exec('DROP TRIGGER audit_events_frozen'); // the row layouts write audit_events as before 0010
      if (dropIndexes) for (const ix of ['ts', 'agent', 'approval']) db.exec(`DROP INDEX audit_events_${ix}_idx`);
      targets.push({ name, db, write: layout(db), insert: 0, commit: 0 });
    }
    // batch by batch, as the worker goes: decode and hash, then each layout stores the same rows
    let hashUs = 0;
    let blockHashUs = 0;
    let prev = GENESIS_HASH;
    let prevBlock = GENESIS_HASH;
    batchTexts().forEach((text, b) => {
      // a chain of blocks instead: one sha256 over the previous block's hash and the text as journaled
      const tb = allCpuUs();
      prevBlock = createHash('sha256').update(prevBlock).update(text).digest('hex');
      if (b >= WARM) blockHashUs += allCpuUs() - tb;
      const t0 = allCpuUs();
      const rows: Row[] = [];
      for (const p of decodeAuditLines(text, true)) {
        const hash = preparedHash(prev, p);
        rows.push([p, prev, hash]);
        prev = hash;
      }
      if (b >= WARM) hashUs += allCpuUs() - t0;
      for (const t of targets) {
        const t1 = allCpuUs();
        t.db.exec('BEGIN IMMEDIATE');
        t.write(rows, text, b * BATCH);
        const t2 = allCpuUs();
        t.db.exec('COMMIT');
        if (b >= WARM) {
          t.insert += t2 - t1;
          t.commit += allCpuUs() - t2;
        }
      }
    });
    const n = BATCHES * BATCH;
    const out: Record<string, number> = { events_per_batch: BATCH, decode_and_hash_us: hashUs / n, block_chain_hash_us: blockHashUs / n };
    for (const t of targets) {
      out[`${t.name}_insert_us`] = t.insert / n;
      out[`${t.name}_commit_us`] = t.commit / n;
      out[`${t.name}_total_us`] = (hashUs + t.insert + t.commit) / n;
    }
    const block = targets[targets.length - 1];
    out.block_per_batch_block_chain_total_us = (blockHashUs + block.insert + block.commit) / n;
    return out;
  } finally {
    for (const db of open) db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
