// Positive bearer-token lookups for MCP over HTTP, kept for a short time so that a call does not
// wait on the store for every request. Revocation stays effective with an exact bound: an entry is
// trusted for at most ttlMs counted from before the store lookup that made it, so once a revocation
// is committed (by this process or by `airlock agents revoke` in another one) every request that
// arrives ttlMs or more later is refused. Failed lookups are never cached: each one reaches the
// store and is audited there.
import * as crypto from 'node:crypto';
import type { Agent } from './request.js';

// one-shot crypto.hash (Node >= 20.12) costs a fraction of a createHash object per request
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;
const sha256 = oneShot
  ? (s: string) => oneShot('sha256', s, 'base64')
  : (s: string) => crypto.createHash('sha256').update(s).digest('base64');

interface Entry {
  agent: Agent;
  expires: number;
}

export class TokenCache {
  /** keyed by the token's SHA-256, so the process does not keep bearer tokens as map keys */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The agent for this token: from the cache while fresh, else from `lookup` (cached when found). */
  async authenticate(token: string, lookup: (token: string) => Promise<Agent | null>): Promise<Agent | null> {
    if (this.ttlMs <= 0) return lookup(token);
    const key = sha256(token);
    // taken before the lookup: an answer can never be trusted longer than ttlMs after it was asked
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.agent;
    const agent = await lookup(token);
    this.entries.delete(key);
    if (agent) {
      if (this.entries.size >= this.maxEntries) this.evict(now);
      this.entries.set(key, { agent, expires: now + this.ttlMs });
    }
    return agent;
  }

  /** The cached agent while fresh, without a lookup (undefined: ask `authenticate`). */
  peek(token: string): Agent | undefined {
    if (this.ttlMs <= 0 || this.entries.size === 0) return undefined;
    const hit = this.entries.get(sha256(token));
    return hit && hit.expires > Date.now() ? hit.agent : undefined;
  }

  /** Drop every entry, e.g. after a revocation made in this process. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Expired entries first; if none, the oldest (Map order is insertion order). */
  private evict(now: number): void {
    for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
