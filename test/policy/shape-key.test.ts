// Issue 17, item 2: the shape cache's quick key (src/policy/shape-key.ts) must read constants exactly
// as PostgreSQL's scanner does, or not at all. For every statement of the public corpora, and for
// edge cases of the scanner, the key is either null or the text with each ICONST, FCONST and
// SCONST token the scanner (libpg-query's scanSync) finds replaced by the mark of its class.
import { describe, it, expect, beforeAll } from 'vitest';
import { loadModule } from '@libpg-query/parser';
import { SHAPE_MARK, shapeKey } from '../../src/policy/shape-key.js';
import { readJsonl } from '../helpers/corpus.js';
import { SQL_CORPORA, replaceConstants } from '../helpers/scanned-constants.js';

beforeAll(async () => {
  await loadModule();
});

const CLASS_MARK: Record<string, string> = { ICONST: SHAPE_MARK.int, FCONST: SHAPE_MARK.float, SCONST: SHAPE_MARK.string };

/** The key the scanner's own tokens give, or null when it does not scan or finds no constant. */
const scannerKey = (sql: string): string | null => replaceConstants(sql, (name) => CLASS_MARK[name] ?? null);

describe('the quick shape key reads constants as the scanner does', () => {
  it.each(SQL_CORPORA)("%s: every key is the scanner's, and most texts with constants get one", (corpus) => {
    const differ: string[] = [];
    let keyed = 0;
    let withConstants = 0;
    for (const { sql } of readJsonl<{ sql: string }>(corpus)) {
      const quick = shapeKey(sql);
      const scanned = scannerKey(sql);
      if (scanned !== null) withConstants++;
      if (quick === null) continue;
      keyed++;
      if (quick !== scanned)
        differ.push(
          `${sql.slice(0, 200)}\n  quick:   ${JSON.stringify(quick).slice(0, 200)}\n  scanner: ${JSON.stringify(scanned).slice(0, 200)}`,
        );
    }
    console.log(`${corpus}: ${keyed} of ${withConstants} texts with constants keyed`);
    expect(differ.slice(0, 5)).toEqual([]);
    if (corpus === 'pg-regress.jsonl') expect(keyed).toBeGreaterThan(withConstants / 2);
  });

  it('edge cases of the scanner: keyed as it reads them, or not keyed', () => {
    const cases = [
      'SELECT 1',
      'SELECT 2147483647',
      'SELECT 2147483648',
      'SELECT 00000000002147483647',
      'SELECT 1.5',
      'SELECT 1e5',
      'SELECT 1e-5',
      'SELECT 1E+5',
      'SELECT 1.',
      'SELECT .5',
      'SELECT 1..2',
      'SELECT 1e',
      'SELECT 1e+',
      'SELECT 1abc',
      'SELECT 0x1F',
      'SELECT 0o17',
      'SELECT 0b101',
      'SELECT 1_000',
      'SELECT t.1',
      'SELECT a1, b_2, "c3" FROM t4',
      "SELECT 'a''b'",
      "SELECT 'a'\n'b'",
      "SELECT 'a' 'b'",
      "SELECT 'a'\n  -- c\n'b'",
      "SELECT E'a\\'b'",
      "SELECT e'x'",
      "SELECT B'101'",
      "SELECT X'1f'",
      "SELECT N'x'",
      "SELECT U&'d\\0061t'",
      "SELECT U&'d!0061t' UESCAPE '!'",
      `SELECT U&"d!0061t" UESCAPE '!' FROM t`,
      "SELECT 'x'::regclass",
      "SELECT date '2020-01-01'",
      "SELECT date'2020-01-01'",
      'SELECT 1 -- 2\n, 3',
      'SELECT 1 /* 2 /* 3 */ 4 */, 5',
      'SELECT 1 /* 2',
      'SELECT 1 /*/ 2 */, 3',
      'SELECT \'é\', "ü1" FROM t',
      'SELECT x FROM t WHERE a=-5 AND b<>+6.5',
      'SELECT 1::float(24)',
      "SELECT 'a\tb\nc'",
      'SELECT "a""1" FROM t WHERE x = 2',
      'SELECT 1\u000b, 2',
      'SELECT 1\f, 2',
      'SELECT $1, 2',
      'SELECT $$a$$, 2',
      'SELECT a$1 FROM t WHERE b = 2',
      "SELECT 'a\\b'",
      'SELECT 1 FROM t LIMIT 10 OFFSET 20',
      'SELECT 1 AS "a\u0001" FROM t',
      'SELECT 1 /* \u0002 */',
      'SELECT 5 ORDER BY 1',
      "SELECT 'unterminated",
      'SELECT "unterminated, 1',
    ];
    const differ = cases.filter((sql) => {
      const quick = shapeKey(sql);
      return quick !== null && quick !== scannerKey(sql);
    });
    expect(differ).toEqual([]);
    // and the plain cases are keyed at all
    for (const sql of ['SELECT 1', "SELECT 'a''b'", 'SELECT x FROM t WHERE a=-5 AND b<>+6.5', 'SELECT \'é\', "ü1" FROM t']) {
      expect(shapeKey(sql)).not.toBeNull();
    }
  });
});

describe('the quick shape key leaves no doubt about what a mark is', () => {
  it('keys no text that holds a mark character anywhere, even where it is no constant', () => {
    expect(shapeKey('SELECT 1 AS "a\u0001" FROM t')).toBeNull();
    expect(shapeKey('SELECT 1 /* \u0003 */')).toBeNull();
    expect(shapeKey('SELECT 1 AS "a" FROM t')).toBe(`SELECT ${SHAPE_MARK.int} AS "a" FROM t`);
  });
});
