// The MCP HTTP token cache: positive answers are reused for at most ttlMs counted from before the
// lookup, failures are never reused, and a ttl of 0 asks the store every time. The lookups are
// plain functions standing in for the store (the store itself is covered by test/store and by the
// revocation test in http.test.ts, which runs `airlock agents revoke` against a real server).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TokenCache } from '../../src/domain/token-cache.js';

const AGENT = { id: 'a-1', name: 'bot' };

/** A lookup over a mutable set of valid tokens that counts how often it is asked. */
function store(delayMs = 0) {
  const valid = new Set(['good']);
  let asked = 0;
  return {
    valid,
    asked: () => asked,
    lookup: async (t: string) => {
      asked++;
      if (delayMs) await sleep(delayMs);
      return valid.has(t) ? AGENT : null;
    },
  };
}

describe('TokenCache', () => {
  it('reuses a positive answer until ttlMs, then asks again and sees a revocation', async () => {
    const s = store();
    const cache = new TokenCache(150);
    expect(await cache.authenticate('good', s.lookup)).toEqual(AGENT);
    expect(await cache.authenticate('good', s.lookup)).toEqual(AGENT);
    expect(s.asked()).toBe(1);
    s.valid.delete('good'); // revoked
    await sleep(160);
    expect(await cache.authenticate('good', s.lookup)).toBeNull();
    expect(s.asked()).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('peek answers only from a fresh entry, without a lookup', async () => {
    const s = store();
    const cache = new TokenCache(100);
    expect(cache.peek('good')).toBeUndefined();
    await cache.authenticate('good', s.lookup);
    expect(cache.peek('good')).toEqual(AGENT);
    await sleep(110);
    expect(cache.peek('good')).toBeUndefined();
    expect(s.asked()).toBe(1);
  });

  it('never caches a refusal', async () => {
    const s = store();
    const cache = new TokenCache(60_000);
    expect(await cache.authenticate('bad', s.lookup)).toBeNull();
    expect(await cache.authenticate('bad', s.lookup)).toBeNull();
    expect(s.asked()).toBe(2);
  });

  it('counts the ttl from before a slow lookup, so the bound holds however long the store took', async () => {
    const s = store(120);
    const cache = new TokenCache(100);
    const started = Date.now();
    expect(await cache.authenticate('good', s.lookup)).toEqual(AGENT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    await cache.authenticate('good', s.lookup); // already stale: asks again
    expect(s.asked()).toBe(2);
  });

  it('asks every time with ttl 0, and clear() forgets everything', async () => {
    const s = store();
    const off = new TokenCache(0);
    await off.authenticate('good', s.lookup);
    await off.authenticate('good', s.lookup);
    expect(s.asked()).toBe(2);
    const on = new TokenCache(60_000);
    await on.authenticate('good', s.lookup);
    on.clear();
    await on.authenticate('good', s.lookup);
    expect(s.asked()).toBe(4);
  });

  it('stays within maxEntries', async () => {
    const lookup = async (t: string) => ({ id: t, name: t });
    const cache = new TokenCache(60_000, 3);
    for (const t of ['t1', 't2', 't3', 't4', 't5']) await cache.authenticate(t, lookup);
    expect(cache.size).toBe(3);
  });
});
