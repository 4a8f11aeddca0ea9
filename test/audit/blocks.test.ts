// Audit blocks (migration 0010): a store written by the previous version (a row per event) goes on
// in blocks as one chain, and every filter over blocks gives exactly what the row query gives.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, exportJsonl, verifyChain, type AuditInput } from '../../src/audit/index.js';
import { encodeAuditLine } from '../../src/audit/audit-line.js';
import { decodeAuditLines } from '../../src/store/audit-lines.js';
import { AUDIT_COLUMNS, auditRow } from '../../src/store/audit-sql.js';
import { GENESIS_HASH, preparedHash } from '../../src/store/chain-hash.js';
import type { AuditFilter } from '../../src/domain/audit.js';
import type { Store } from '../../src/store/store.js';
import { defaultMigrationsDir } from '../../src/store/migrate.js';
import { TARGETS, type StoreTarget } from '../store/fixtures.js';

const T0 = 1_790_000_000_000;

const event = (i: number): AuditInput => ({
  type: i % 7 === 0 ? 'approval.created' : i % 2 ? 'decision' : 'request',
  ts: T0 + i * 1000,
  agent: i % 11 === 0 ? 'o"brien' : ['alice', 'bob', 'carol_%'][i % 3],
  door: i % 4 ? 'wire' : 'mcp',
  database: i % 5 ? 'app' : 'billing',
  decision: i % 5 === 0 ? 'block' : i % 7 === 0 ? 'ask' : 'auto',
  rule: i % 5 === 0 ? 'block.delete' : 'auto.read',
  requestId: `req-${i}`,
  approvalId: i % 7 === 0 ? `ap-${i % 3}` : null,
  data: {
    i,
    sql: `SELECT ${i} FROM Orders`,
    tables: i % 4 === 0 ? ['public.orders'] : ['users', `s${i % 2}.items`],
    note: i % 6 ? 'Größe ✓' : 'say "q\\"',
  },
});

/** The migrations of the version before audit blocks (0001–0009), to open a store as it did. */
const PREVIOUS = mkdtempSync(join(tmpdir(), 'airlock-migrations-'));
for (const dialect of ['sqlite', 'postgres']) {
  mkdirSync(join(PREVIOUS, dialect));
  for (const f of readdirSync(join(defaultMigrationsDir(), dialect)).filter((f) => Number(f.slice(0, 4)) < 10))
    copyFileSync(join(defaultMigrationsDir(), dialect, f), join(PREVIOUS, dialect, f));
}
afterAll(() => rmSync(PREVIOUS, { recursive: true, force: true }));

/** A target whose store is at the previous version's schema (nothing but rows to write to). */
async function previousVersion(make: () => Promise<StoreTarget>): Promise<{ target: StoreTarget }> {
  const target = await make();
  await target.open({ migrationsDir: PREVIOUS });
  return { target };
}

/** What the previous version wrote: a row per event in audit_events, chained from genesis. */
async function writeRows(target: StoreTarget, inputs: AuditInput[]): Promise<void> {
  const events = decodeAuditLines(inputs.map((e) => encodeAuditLine(e)).join(''));
  let prev = GENESIS_HASH;
  for (const [i, p] of events.entries()) {
    const hash = preparedHash(prev, p);
    const marks = AUDIT_COLUMNS.map((_, n) => (target.kind === 'sqlite' ? '?' : `$${n + 1}`));
    await target.raw(`INSERT INTO audit_events (${AUDIT_COLUMNS.join(', ')}) VALUES (${marks.join(', ')})`, auditRow(i + 1, p, prev, hash));
    prev = hash;
  }
}

async function appendBlocks(store: Store, inputs: AuditInput[], maxBatch: number): Promise<void> {
  const log = AuditLog.inThread(store, { maxBatch });
  for (const e of inputs) log.append(e);
  await log.close();
}

const FILTERS: AuditFilter[] = [
  {},
  { limit: 7 },
  { agent: 'alice' },
  { agent: 'carol_%' },
  { agent: 'carol' },
  { agent: 'nobody' },
  { door: 'mcp', database: 'billing' },
  { decision: 'block' },
  { type: 'approval.created' },
  { approvalId: 'ap-1' },
  { table: 'orders' },
  { table: 'public.orders' },
  { table: 'items' },
  { table: 's1.items' },
  { search: 'select 4' },
  { search: 'ORDERS' },
  { search: 'req-1' },
  { search: 'carol_' },
  { search: 'l_%' },
  { search: 'größe ✓' },
  { search: 'say \\"q' }, // the data's JSON text, as the row query searches it
  { search: '\\' },
  { search: 'o"b' }, // a header field: JSON-escaped in the block's lines
  { agent: 'o"brien' },
  { search: 'l%' },
  { since: T0 + 20_000, until: T0 + 45_000 },
  { beforeSeq: 50, limit: 5 },
  { afterSeq: 30, limit: 9 },
  { agent: 'bob', decision: 'auto', table: 'users', since: T0 + 10_000, limit: 4 },
];

/** filters no event matches (exact values, LIKE wildcards taken literally) */
const EMPTY = new Set(FILTERS.filter((f) => f.agent === 'nobody' || f.agent === 'carol' || f.search === 'l%'));

describe.each(TARGETS)('audit blocks on $kind', ({ make }) => {
  it('a store written as rows goes on in blocks: one chain for verify, export and every filter', async () => {
    const inputs = Array.from({ length: 90 }, (_, i) => event(i + 1));
    const { target } = await previousVersion(make);
    try {
      await writeRows(target, inputs.slice(0, 40));
      const store = await target.open(); // migration 0010
      expect(await verifyChain(store)).toMatchObject({ ok: true, count: 40 });
      await appendBlocks(store, inputs.slice(40), 2);
      expect(Number((await target.raw('SELECT COUNT(*) AS n FROM audit_blocks'))[0].n)).toBeGreaterThan(16); // more than one page of blocks for verify and export
      expect(await verifyChain(store)).toMatchObject({ ok: true, count: 90, lastSeq: 90 });
      // a gateway of the previous version still appending rows would fork the chain: refused
      await expect(writeRows(target, inputs.slice(0, 1))).rejects.toThrow(/read-only since migration 0010/);

      const all = await store.listAudit({ order: 'asc', limit: 1000 });
      expect(all.map((e) => e.seq)).toEqual(inputs.map((_, i) => i + 1));
      expect(all.map((e) => e.request_id)).toEqual(inputs.map((e) => e.requestId));
      expect(all[40].prev_hash).toBe(all[39].hash);
      expect((await store.listAudit({ limit: 3 })).map((e) => e.seq)).toEqual([90, 89, 88]);

      // the export reads the same either side of the switch, and re-verifies from its lines alone
      const out = new PassThrough();
      let text = '';
      out.on('data', (c: Buffer) => (text += c.toString()));
      expect(await exportJsonl(store, out)).toBe(90);
      let prev = GENESIS_HASH;
      for (const line of text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)) {
        const { seq: _s, prev_hash, hash, ...body } = line;
        expect(prev_hash).toBe(prev);
        expect(createHash('sha256').update(String(prev_hash)).update(canonical(body)).digest('hex')).toBe(hash);
        prev = String(hash);
      }
    } finally {
      await target.cleanup();
    }
  });

  it('finds every agent and approval of a block that names more of them than one insert of keys holds', async () => {
    const target = await make();
    try {
      const store = await target.open();
      const many = Array.from({ length: 450 }, (_, i) => ({ ...event(i + 1), agent: `agent-${i}`, approvalId: `many-${i}` }));
      await appendBlocks(store, many, 1000);
      expect(Number((await target.raw('SELECT COUNT(*) AS n FROM audit_blocks'))[0].n)).toBe(1);
      for (const i of [0, 199, 200, 449]) {
        expect((await store.listAudit({ approvalId: `many-${i}` })).map((e) => e.seq)).toEqual([i + 1]);
        expect((await store.listAudit({ agent: `agent-${i}` })).map((e) => e.seq)).toEqual([i + 1]);
      }
    } finally {
      await target.cleanup();
    }
  });

  it('every filter over blocks gives exactly what the row query gives over the same events', async () => {
    const inputs = Array.from({ length: 120 }, (_, i) => event(i + 1));
    const rows = await previousVersion(make);
    const blocks = await make();
    try {
      await writeRows(rows.target, inputs);
      const rowStore = await rows.target.open(); // migrated: its blocks stay empty, the rows answer
      const store = await blocks.open();
      await appendBlocks(store, inputs, 5);
      for (const f of FILTERS) {
        for (const order of ['asc', 'desc'] as const) {
          const want = await rowStore.listAudit({ ...f, order });
          if (!EMPTY.has(f)) expect(want.length, JSON.stringify(f)).toBeGreaterThan(0);
          expect(await store.listAudit({ ...f, order }), JSON.stringify({ ...f, order })).toEqual(want);
        }
      }
    } finally {
      await rows.target.cleanup();
      await blocks.cleanup();
    }
  });
});

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}
