// Failed authentication, throttled per name and per address on every door (wire SCRAM, MCP and API
// bearer tokens, reviewer tokens, console sign-in). Before a secret is checked the name and the
// address must not be locked; each failure then counts against both. Only failures count, so many
// clients of one agent connecting at once (pgbench -c 100) are never throttled; guesses already in
// flight when the lock starts finish, every later one is refused until the window passes. A success
// forgets the name's failures, never another name's or the address's.
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';

export interface ThrottleLimits {
  /** failures for one name (from any address) within the window before the name is locked */
  maxFailures: number;
  /** failures from one address (any name) within the window before the address is locked */
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

export class AuthThrottle {
  private readonly byName: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(private readonly limits: ThrottleLimits) {
    const duration = Math.max(1, Math.round(limits.windowSeconds));
    this.byName = new RateLimiterMemory({ keyPrefix: 'name', points: limits.maxFailures, duration });
    this.byAddress = new RateLimiterMemory({ keyPrefix: 'addr', points: limits.maxFailuresPerAddress, duration });
  }

  /** The ms to wait when the name or the address is locked, else 0. */
  async locked(name: string | undefined, address: string): Promise<number> {
    const [a, n] = await Promise.all([this.byAddress.get(address), name === undefined ? null : this.byName.get(key(name))]);
    return Math.max(waitOf(a, this.limits.maxFailuresPerAddress), waitOf(n, this.limits.maxFailures));
  }

  /** A failed attempt counts against the name and the address. */
  async failed(name: string | undefined, address: string): Promise<void> {
    await Promise.all([this.byAddress.penalty(address, 1), name === undefined ? undefined : this.byName.penalty(key(name), 1)]);
  }

  /** A success forgets the name's failures. */
  async succeeded(name: string | undefined): Promise<void> {
    if (name !== undefined) await this.byName.delete(key(name));
  }
}

const key = (name: string) => name.toLowerCase();

function waitOf(res: RateLimiterRes | null, limit: number): number {
  if (!res || res.consumedPoints < limit) return 0;
  return Math.max(1000, res.msBeforeNext);
}
