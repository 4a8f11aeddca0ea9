// The public corpora: PostgreSQL's regression SQL with ground truth, invalid SQL, bypass cases
// and client metadata queries. Counts are printed so the closing note can quote them.
import { describe, it, expect, beforeAll } from 'vitest';
import { PolicyEngine, initPolicy } from '../../src/policy/index.js';
import { readJsonl, bypassCases, meetsExpectation } from '../helpers/corpus.js';

let engine: PolicyEngine;
beforeAll(async () => {
  await initPolicy();
  engine = new PolicyEngine();
});

/** The corpus README: these session statements are labelled write but "a firewall may let them run". */
const HARMLESS_SESSION = new Set(['DeclareCursorStmt', 'ClosePortalStmt', 'DeallocateStmt', 'PrepareStmt', 'UnlistenStmt']);

describe('pg-regress.jsonl (PostgreSQL 17 regression SQL)', () => {
  it('decides every statement and never auto-runs writes, unknown functions or EXPLAIN ANALYZE of writes', () => {
    const rows = readJsonl('pg-regress.jsonl');
    const counts: Record<string, Record<string, number>> = {};
    const unsafeAuto: string[] = [];
    const harmlessAuto: Record<string, number> = {};
    for (const r of rows) {
      const d = engine.decide(r.sql);
      expect(['auto', 'ask', 'block']).toContain(d.decision);
      const key = r.truth === 'explain' ? `explain${r.analyze ? '+analyze' : ''}:${r.inner}` : r.truth;
      counts[key] ??= { auto: 0, ask: 0, block: 0 };
      counts[key][d.decision]++;
      if (d.decision !== 'auto') continue;
      const mustNotRun =
        r.truth === 'write' || r.truth === 'read-unknown-fn' || (r.truth === 'explain' && r.analyze && r.inner === 'write');
      if (!mustNotRun) continue;
      // a write-labelled statement may be auto only when it is one of the README's harmless session statements
      const inner = d.statements[0];
      if (r.truth === 'write' && HARMLESS_SESSION.has(r.node) && d.statements.length === 1 && inner.tablesWritten.length === 0) {
        harmlessAuto[r.node] = (harmlessAuto[r.node] ?? 0) + 1;
        continue;
      }
      // LOCK … IN ACCESS SHARE MODE takes the lock any SELECT takes (pg_dump sends it); no other mode is auto
      if (r.truth === 'write' && r.node === 'LockStmt' && d.statements.length === 1 && inner.rule === 'auto.lock-access-share') {
        harmlessAuto[r.node] = (harmlessAuto[r.node] ?? 0) + 1;
        continue;
      }
      unsafeAuto.push(`${r.file}:${r.line} ${r.truth} ${r.sql.slice(0, 120)}`);
    }
    console.log(
      'pg-regress decisions by truth:',
      JSON.stringify(counts),
      'harmless session statements auto:',
      JSON.stringify(harmlessAuto),
    );
    expect(unsafeAuto).toEqual([]);
    const plain = counts['plain-read'];
    const share = plain.auto / (plain.auto + plain.ask + plain.block);
    console.log(`plain-read auto: ${plain.auto}/${plain.auto + plain.ask + plain.block} (${(share * 100).toFixed(2)}%)`);
    expect(share).toBeGreaterThanOrEqual(0.95);
    expect(rows.length).toBe(21733);
  });

  it('never auto-runs SQL that PostgreSQL rejects (pg-regress-invalid.jsonl)', () => {
    const rows = readJsonl('pg-regress-invalid.jsonl');
    const auto = rows.filter((r) => engine.decide(r.sql).decision === 'auto').map((r) => r.sql);
    expect(auto).toEqual([]);
    expect(rows.length).toBe(116);
  });
});

describe('bypass-public.jsonl', () => {
  const cases = bypassCases();
  it.each(cases.map((c) => [c.id, c] as const))('%s meets its expectation', (_id, c) => {
    const d = engine.decide(c.sql);
    expect(meetsExpectation(c.expect, d.decision), `${c.why}: got ${d.decision} (${d.rule}: ${d.reason})`).toBe(true);
  });
});

describe('client-catalog-public.jsonl', () => {
  const rows = readJsonl('client-catalog-public.jsonl');
  it.each(rows.map((r) => [r.id, r] as const))('%s stays auto', (_id, r) => {
    const d = engine.decide(r.sql);
    expect(d.decision, `${d.rule}: ${d.reason}`).toBe('auto');
  });
});
