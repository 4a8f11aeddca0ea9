// The decision cache: a repeat of a text is the same decision, the cache stays within its size,
// a flood of distinct texts (pgbench -M simple) never changes what a cached text decides, a text
// is remembered from its second sighting (one-off texts are not kept), and a size of 0 turns
// caching off without changing any decision.
import { beforeAll, describe, expect, it } from 'vitest';
import { PolicyEngine, initPolicy } from '../../src/policy/index.js';

beforeAll(() => initPolicy());

describe('policy engine cache', () => {
  it('returns the cached decision for a repeated text and stays within cacheSize', () => {
    const engine = new PolicyEngine({ cacheSize: 100 });
    const first = engine.decide('SELECT * FROM accounts WHERE id = $1');
    // seen once: decided again (same verdict), and remembered from now on
    const second = engine.decide('SELECT * FROM accounts WHERE id = $1');
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    expect(engine.decide('SELECT * FROM accounts WHERE id = $1')).toBe(second);
    for (let i = 0; i < 1000; i++) {
      expect(engine.decide(`SELECT * FROM accounts WHERE id = ${i}`).decision).toBe('auto');
      expect(engine.decide(`DELETE FROM accounts WHERE id = ${i}`).decision).toBe('block');
    }
    // texts decided from their shape are not kept by text: the shape finds them again
    expect(engine.cacheSize()).toBeLessThan(10);
    // a flood of texts seen once keeps nothing more
    for (let i = 0; i < 1000; i++) expect(engine.decide(`SELECT c${i} FROM accounts`).decision).toBe('auto');
    expect(engine.cacheSize()).toBeLessThan(10);
    // texts seen twice are kept, within the size
    for (let i = 0; i < 1000; i++) {
      expect(engine.decide(`SELECT d${i} FROM accounts`).decision).toBe('auto');
      expect(engine.decide(`SELECT d${i} FROM accounts`).decision).toBe('auto');
    }
    expect(engine.cacheSize()).toBe(100);
    expect(engine.decide('SELECT * FROM accounts WHERE id = $1').decision).toBe('auto');
    expect(engine.decide('DROP TABLE accounts').decision).toBe('block');
  });

  it('with cacheSize 0 decides the same and keeps nothing', () => {
    // no shape cache here: only the text cache remembers (a text from its second sighting)
    const cached = new PolicyEngine({ shapeCacheSize: 0 });
    const uncached = new PolicyEngine({ cacheSize: 0, shapeCacheSize: 0 });
    for (const sql of ['SELECT 1', 'UPDATE t SET a = 1', 'DROP TABLE t', 'SELECT 1; DROP TABLE t', 'SELEC 1']) {
      expect(uncached.decide(sql).decision).toBe(cached.decide(sql).decision);
      expect(uncached.decide(sql).decision).toBe(cached.decide(sql).decision);
    }
    expect(uncached.cacheSize()).toBe(0);
    expect(cached.cacheSize()).toBe(5);
  });
});
