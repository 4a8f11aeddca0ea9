// Failed authentication, throttled per name and per address on every door. Two ways of counting:
// - `reserve` (console sign-in, where people sign in one at a time): every attempt takes a point
//   before the password is checked, atomically, so parallel guesses can never exceed the limit;
//   a success gives its point back.
// - failures only (wire SCRAM, MCP and API bearer tokens, where one agent legitimately opens many
//   connections at once — pgbench -c 100): a locked name or address is refused before the secret is
//   checked, and each failure counts; guesses already in flight when the lock starts finish, every
//   later one is refused until the window passes.
// A success forgets the name's failures, never another name's or the address's.
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';

export interface ThrottleLimits {
  /** failures for one name (from any address) within the window before the name is locked */
  maxFailures: number;
  /** failures from one address (any name) within the window before the address is locked */
  maxFailuresPerAddress: number;
  windowSeconds: number;
  /** count every attempt up front (given back on success) instead of failures only */
  reserve?: boolean;
}

export class AuthThrottle {
  private readonly byName: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(private readonly limits: ThrottleLimits) {
    const duration = Math.max(1, Math.round(limits.windowSeconds));
    this.byName = new RateLimiterMemory({ keyPrefix: 'name', points: limits.maxFailures, duration });
    this.byAddress = new RateLimiterMemory({ keyPrefix: 'addr', points: limits.maxFailuresPerAddress, duration });
  }

  /** Before the secret is checked: the ms to wait when the name or the address is locked, else 0. */
  async begin(name: string | undefined, address: string): Promise<number> {
    if (this.limits.reserve) return this.reserve(name, address);
    const [a, n] = await Promise.all([this.byAddress.get(address), name === undefined ? null : this.byName.get(key(name))]);
    return Math.max(lockedFor(a, this.limits.maxFailuresPerAddress), lockedFor(n, this.limits.maxFailures));
  }

  private async reserve(name: string | undefined, address: string): Promise<number> {
    try {
      await this.byAddress.consume(address);
    } catch (res) {
      return waitOf(res);
    }
    if (name === undefined) return 0;
    try {
      await this.byName.consume(key(name));
      return 0;
    } catch (res) {
      await this.byAddress.reward(address, 1);
      return waitOf(res);
    }
  }

  /** The secret was wrong (a reserved point simply stays taken). */
  async failed(name: string | undefined, address: string): Promise<void> {
    if (this.limits.reserve) return;
    await Promise.all([this.byAddress.penalty(address, 1), name === undefined ? undefined : this.byName.penalty(key(name), 1)]);
  }

  /** The secret checked out: the name's failures are forgotten (and a reserved address point returned). */
  async succeeded(name: string | undefined, address: string): Promise<void> {
    await Promise.all([
      name === undefined ? undefined : this.byName.delete(key(name)),
      this.limits.reserve ? this.byAddress.reward(address, 1) : undefined,
    ]);
  }
}

const key = (name: string) => name.toLowerCase();
const waitOf = (res: unknown) => Math.max(1000, (res as RateLimiterRes | undefined)?.msBeforeNext ?? 1000);

function lockedFor(res: RateLimiterRes | null, limit: number): number {
  return !res || res.consumedPoints < limit ? 0 : Math.max(1000, res.msBeforeNext);
}
