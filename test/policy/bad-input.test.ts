// Hostile input: every case is a block with a clear reason, quickly, and the engine stays usable.
import { describe, it, expect, beforeAll } from 'vitest';
import { PolicyEngine, initPolicy } from '../../src/policy/index.js';

let engine: PolicyEngine;
beforeAll(async () => {
  await initPolicy();
  engine = new PolicyEngine();
});

const hostile: [name: string, sql: () => string, reason: RegExp][] = [
  ['a 10 MB statement', () => `SELECT '${'x'.repeat(10 * 1024 * 1024)}'`, /too large/],
  ['100,000 nested parentheses', () => `SELECT ${'('.repeat(100_000)}1${')'.repeat(100_000)}`, /nested/],
  ['a 400,000-term expression', () => `SELECT ${Array.from({ length: 400_000 }, (_, i) => i).join('+')}`, /too large|nested/],
  ['a NUL byte hiding a second statement', () => 'SELECT 1\u0000; DROP TABLE t', /NUL/],
  ['a lone surrogate (invalid UTF-8)', () => 'SELECT \udc80', /UTF-8/],
  ['the empty string', () => '', /empty/],
  ['only whitespace', () => ' \n\t ', /empty/],
  ['only comments', () => '-- nothing here\n/* nor here */', /empty/],
  ['only semicolons', () => ';;;', /empty/],
  ['an unterminated quote', () => "SELECT 'abc", /syntax|unterminated/],
  ['an unterminated comment', () => 'SELECT 1 /* DROP TABLE t', /syntax|unterminated/],
  ['garbage', () => '\u0001\u0002 garbage ))) ((', /syntax/],
];

describe('bad input', () => {
  it.each(hostile)('%s → block with a clear reason in under a second', (_name, make, reason) => {
    const sql = make();
    const started = performance.now();
    const d = engine.decide(sql);
    const ms = performance.now() - started;
    expect(d.decision).toBe('block');
    expect(d.reason).toMatch(reason);
    expect(ms).toBeLessThan(1000);
    // the engine is still usable right after
    expect(engine.decide('SELECT 1').decision).toBe('auto');
  });

  it('a deep but valid tree is walked iteratively and decided', () => {
    const d = engine.decide(`SELECT ${'NOT '.repeat(1500)}true FROM accounts`);
    expect(d.decision).toBe('auto');
    expect(d.statements[0].tablesRead).toEqual(['accounts']);
  });

  it('non-string input is refused, not thrown', () => {
    expect(engine.decide(42 as unknown as string).decision).toBe('block');
    expect(engine.decide(undefined as unknown as string).decision).toBe('block');
  });

  it('over-long statements are refused under a configured limit', () => {
    const small = new PolicyEngine({ maxStatementBytes: 100 });
    expect(small.decide(`SELECT '${'é'.repeat(60)}'`).reason).toMatch(/too large: \d+ bytes/);
  });
});
