// The decision cache's admission: a text is admitted on its second sighting, texts seen once take
// no entry, and a colliding text only delays admission (never admits a text on its first sighting
// unless its hash matches one seen before).
import { describe, expect, it } from 'vitest';
import { Doorkeeper } from '../../src/policy/doorkeeper.js';

describe('doorkeeper', () => {
  it('admits a text from its second sighting', () => {
    const d = new Doorkeeper(100);
    expect(d.admit('SELECT 1')).toBe(false);
    expect(d.admit('SELECT 1')).toBe(true);
    expect(d.admit('SELECT 1')).toBe(true);
    expect(d.admit('SELECT 2')).toBe(false);
    expect(d.admit('')).toBe(false);
    expect(d.admit('')).toBe(true);
  });

  it('admits almost none of a stream of distinct texts, and most of a repeated one', () => {
    const d = new Doorkeeper(10_000); // 131,072 slots
    let firstSightings = 0;
    for (let i = 0; i < 50_000; i++) if (d.admit(`SELECT * FROM t WHERE id = ${i}`)) firstSightings++;
    // only a hash collision with an earlier text admits on a first sighting
    expect(firstSightings).toBeLessThan(50);
    let repeats = 0;
    for (let i = 0; i < 5_000; i++) d.admit(`SELECT ${i}`);
    for (let i = 0; i < 5_000; i++) if (d.admit(`SELECT ${i}`)) repeats++;
    expect(repeats).toBeGreaterThan(4_700); // a text is lost only when one of the 5,000 takes its slot
  });
});
