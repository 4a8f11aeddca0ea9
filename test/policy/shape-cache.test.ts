// Issue 17, item 2: statements that differ only in constants share a decision without a full parse
// — and no constant ever changes a decision without being looked at. For every statement of the
// public corpora a variant with other constants (PostgreSQL's own scanner finds them) is decided
// twice: in full, and by an engine that has just seen the original (so its shape is known). The
// two decisions must be identical, field for field; thousands must come from the shortcut.
import { describe, it, expect, beforeAll } from 'vitest';
import { PolicyEngine, initPolicy } from '../../src/policy/index.js';
import { shapeOrigin } from '../../src/policy/shape-cache.js';
import type { Decision } from '../../src/domain/decision.js';
import { readJsonl } from '../helpers/corpus.js';
import { SQL_CORPORA, replaceConstants } from '../helpers/scanned-constants.js';

beforeAll(async () => {
  await initPolicy();
});

/** Another value of the same kind for each integer, decimal and plain or E'' string constant. */
function otherConstant(name: string, text: string): string | null {
  if (name === 'ICONST' && /^\d{1,9}$/.test(text)) return String(Number(text) + 1);
  if (name === 'FCONST' && /^\d+\.\d+$/.test(text)) return `${text}7`;
  if (name === 'SCONST' && /^[eE]?'/.test(text)) return text.replace("'", "'v");
  return null;
}

/** The text with other constants, or null when it has none (or does not scan). */
const variant = (sql: string): string | null => replaceConstants(sql, otherConstant);

describe('the shape shortcut changes no decision', () => {
  it.each(SQL_CORPORA)('%s: every variant decided the same with and without it', (corpus) => {
    const full = new PolicyEngine({ cacheSize: 0, shapeCacheSize: 0 });
    const shaped = new PolicyEngine({ cacheSize: 0 }, { adaptiveShapes: false });
    const differ: string[] = [];
    let variants = 0;
    for (const { sql } of readJsonl<{ sql: string }>(corpus)) {
      const v = variant(sql);
      if (v === null) continue;
      variants++;
      shaped.decide(sql);
      const a = JSON.stringify(full.decide(v));
      const b = JSON.stringify(shaped.decide(v));
      if (a !== b) differ.push(`${v.slice(0, 160)}\n  full:   ${a.slice(0, 300)}\n  shaped: ${b.slice(0, 300)}`);
    }
    console.log(`${corpus}: ${variants} variants, ${shaped.shapes!.found} decided from their shape`);
    expect(differ.slice(0, 5)).toEqual([]);
    expect(variants).toBeGreaterThan(0);
    if (corpus === 'pg-regress.jsonl') expect(shaped.shapes!.found).toBeGreaterThan(3000);
  });

  it('never shares a decision a constant takes part in', () => {
    const shaped = new PolicyEngine({ cacheSize: 0 }, { adaptiveShapes: false });
    const pairs: [string, string][] = [
      ['SELECT pg_sleep(1)', 'SELECT pg_sleep(100000)'],
      ["SELECT set_config('application_name', 'x', false)", "SELECT set_config('role', 'x', false)"],
      ["SET application_name = 'a'", "SET search_path = 'evil', pg_catalog"],
      ['SET statement_timeout = 1000', 'SET statement_timeout = 0'],
      ["COPY t TO STDOUT WITH (FORMAT 'csv')", "COPY t TO STDOUT WITH (FORMAT 'binary')"],
      // constants the grammar reads itself (not A_Const): one quick key, refused by the normalizer's check
      ['SELECT x::float(24) FROM t', 'SELECT x::float(0) FROM t'],
      ['SELECT x::float(25) FROM t', 'SELECT x::float(53) FROM t'],
      ['SELECT * FROM U&"d!0061t" UESCAPE \'!\'', 'SELECT * FROM U&"d!0061t" UESCAPE \'#\''],
      // ICONST and FCONST (a number past int4) are other shapes
      ['SELECT 1 FROM t ORDER BY 1', 'SELECT 1 FROM t ORDER BY 2147483648'],
    ];
    for (const [first, second] of pairs) {
      shaped.decide(first);
      expect(JSON.stringify(shaped.decide(second))).toBe(
        JSON.stringify(new PolicyEngine({ cacheSize: 0, shapeCacheSize: 0 }).decide(second)),
      );
    }
    expect(shaped.shapes!.found).toBe(0);
  });

  it('keys only text the parser may see: a NUL, a lone surrogate or an oversized text is refused as before', () => {
    const shaped = new PolicyEngine({ cacheSize: 0, maxStatementBytes: 64 }, { adaptiveShapes: false });
    expect(shaped.decide('SELECT 1').decision).toBe('auto');
    for (const sql of ['SELECT 2\u0000; DROP TABLE t', 'SELECT 3 -- \ud800', `SELECT ${'4'.repeat(80)}`]) {
      expect(shaped.decide(sql).decision).toBe('block');
    }
    expect(shaped.shapes!.found).toBe(0);
  });

  it('keys nothing that holds a $ (parameters, dollar quotes), and texts keep their own SQL', () => {
    const shaped = new PolicyEngine({ cacheSize: 0 }, { adaptiveShapes: false });
    shaped.decide('SELECT $1, 5');
    shaped.decide('SELECT $1, $2');
    expect(shaped.shapes!.found).toBe(0);
    shaped.decide('SELECT abalance FROM pgbench_accounts WHERE aid = 1;');
    const d = shaped.decide('SELECT abalance FROM pgbench_accounts WHERE aid = 42;');
    expect(shaped.shapes!.found).toBe(1);
    expect(d.statements[0].sql).toBe('SELECT abalance FROM pgbench_accounts WHERE aid = 42');
    expect(d.decision).toBe('auto');
    // its origin (whose audit-line parts it shares) differs from it only in the statement's text
    const withoutText = (x: Decision) => ({ ...x, statements: x.statements.map((st) => ({ ...st, sql: '' })) });
    const origin = shapeOrigin(d)!;
    expect(origin.statements[0].sql).toBe('SELECT abalance FROM pgbench_accounts WHERE aid = 1');
    expect(withoutText(origin)).toEqual(withoutText(d));
    expect(shapeOrigin(shaped.decide('SELECT abalance FROM pgbench_branches WHERE bid = 1;'))).toBeUndefined();
  });
});
