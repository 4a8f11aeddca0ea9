// Pool of raw upstream connections for the wire proxy (transaction pooling), grouped by database and
// client startup settings (pool-key.ts), capped per database. Servers start read-only with timeouts
// (the auto-path backstop); idle clients keep their server until another client needs it. Each agent
// holds at most `maxPerAgent` servers, and waiting agents are served in turn (fair-queue.ts).
import { ServerConn, type Reclaim, type UpstreamTarget } from './wire-conn.js';
import { logger } from '../logger.js';
import { FairQueue, waitInTurn, type Waiter as FairWaiter } from './fair-queue.js';
import { poolKey, settingsFromKey } from './pool-key.js';
import { AirlockError, SqlState } from '../errors.js';
import { LendList } from './lend-list.js';

export interface PoolOptions {
  /** most upstream connections per database */
  maxPerDatabase: number;
  /** close connections idle for longer than this */
  idleTimeoutMs: number;
  /** a client waiting longer than this for an upstream connection gets 53300 */
  waitTimeoutMs: number;
  /** most upstream connections one agent holds per database (default: the whole pool) */
  maxPerAgent?: number;
}

/** Who asks for a server: the agent's id (its connections are capped together); '' is Airlock itself. */
export type Holder = string;

type Waiter = FairWaiter<ServerConn>;

interface DbPool {
  total: number;
  idle: Map<string, ServerConn[]>;
  /** servers bound to idle clients that may be taken back */
  lendable: LendList<ServerConn>;
  /** waiting clients, served in turn across holders */
  waiting: FairQueue<Waiter>;
  /** servers each holder has now (from acquire to release) */
  held: Map<Holder, number>;
}

export class WirePool {
  private readonly dbs = new Map<string, DbPool>();
  private readonly holders = new WeakMap<ServerConn, Holder>();
  private readonly maxPerAgent: number;
  private readonly statusCache = new Map<string, Map<string, string>>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly opts: PoolOptions,
    private readonly targetFor: (database: string) => UpstreamTarget,
  ) {
    this.maxPerAgent = Math.min(opts.maxPerAgent ?? opts.maxPerDatabase, opts.maxPerDatabase);
    this.timer = setInterval(() => this.reapIdle(), Math.max(1000, Math.min(opts.idleTimeoutMs, 30_000)));
    this.timer.unref();
  }

  /** The sub-pool key for a database and the client's (already filtered) startup settings. */
  keyFor(database: string, settings: Record<string, string>): string {
    return poolKey(database, settings);
  }

  private db(database: string): DbPool {
    let d = this.dbs.get(database);
    if (!d) {
      d = { total: 0, idle: new Map(), lendable: new LendList(), waiting: new FairQueue<Waiter>(), held: new Map() };
      this.dbs.set(database, d);
    }
    return d;
  }

  /** An idle server for the key right now, or null (no allocation of promises on the hot path). */
  tryAcquire(database: string, key: string, holder: Holder = ''): ServerConn | null {
    const d = this.db(database);
    if (this.atCap(d, holder)) return null;
    const list = d.idle.get(key);
    while (list && list.length > 0) {
      const s = list.pop()!;
      if (!s.closed) return this.hold(d, s, holder);
      d.total--;
    }
    return null;
  }

  async acquire(database: string, key: string, settings: Record<string, string>, holder: Holder = ''): Promise<ServerConn> {
    if (this.closed) throw new Error('pool closed');
    const fast = this.tryAcquire(database, key, holder);
    if (fast) return fast;
    const d = this.db(database);
    if (d.total < this.opts.maxPerDatabase && !this.atCap(d, holder)) return this.open(database, key, settings, holder);
    const p = waitInTurn(d.waiting, key, holder, this.opts.waitTimeoutMs, () => this.waitedTooLong(d, holder));
    this.makeRoom(d, database, holder);
    return p;
  }

  private waitedTooLong(d: DbPool, holder: Holder): AirlockError {
    const why = this.atCap(d, holder)
      ? `this agent already holds ${this.maxPerAgent} upstream connections, its limit per database (upstream.maxPerAgent)`
      : `the pool of ${this.opts.maxPerDatabase} is busy`;
    return new AirlockError(
      `no upstream connection available within ${this.opts.waitTimeoutMs} ms: ${why}`,
      SqlState.tooManyConnections,
      503,
    );
  }

  private atCap(d: DbPool, holder: Holder): boolean {
    return holder !== '' && (d.held.get(holder) ?? 0) >= this.maxPerAgent;
  }

  private hold(d: DbPool, s: ServerConn, holder: Holder): ServerConn {
    this.holders.set(s, holder);
    count(d, holder, 1);
    return s;
  }

  /** The server goes back: its holder's count drops (once, however often it is released). */
  private letGo(d: DbPool, s: ServerConn): void {
    const holder = this.holders.get(s);
    if (holder === undefined) return;
    this.holders.delete(s);
    count(d, holder, -1);
  }

  /** The next waiter in turn whose holder is below its cap. */
  private nextWaiter(d: DbPool): Waiter | undefined {
    return d.waiting.next((holder) => !this.atCap(d, holder));
  }

  /**
   * Frees a slot: close an idle server of another key, or take a server back from an idle client
   * (the asking agent's own first when it is at its cap: only those make room for it).
   */
  private makeRoom(d: DbPool, database: string, holder?: Holder): void {
    if (holder !== undefined && this.atCap(d, holder)) {
      for (const s of d.lendable) if (this.holders.get(s) === holder) return this.reclaim(d, s);
      return;
    }
    for (const list of d.idle.values()) {
      if (list.length > 0) {
        list.shift()!.close();
        d.total--;
        this.serveWaiters(database);
        return;
      }
    }
    for (const s of d.lendable) return this.reclaim(d, s);
  }

  private reclaim(d: DbPool, s: ServerConn): void {
    d.lendable.delete(s);
    const reclaim = s.reclaim;
    s.reclaim = null;
    reclaim?.(s);
    // the client let go of it: release() hands it to a waiter (or replaces it by one of theirs)
    this.release(s);
  }

  private async open(database: string, key: string, settings: Record<string, string>, holder: Holder): Promise<ServerConn> {
    const d = this.db(database);
    d.total++;
    count(d, holder, 1); // counted while connecting
    const target = this.targetFor(database);
    try {
      const s = await ServerConn.connect(target, {
        // the operator's options from the URL, as the pg pools start with them; PostgreSQL applies the
        // named settings below after them, so none of them can turn read-only off or lift a timeout
        ...(target.options ? { options: target.options } : {}),
        ...settings,
        // UTF8 for the whole session: PostgreSQL must read statements exactly as Airlock parsed them
        client_encoding: 'UTF8',
        default_transaction_read_only: 'on',
        // the agent's cap when it is lower than the default (set by the proxy, never by a client)
        statement_timeout: settings.statement_timeout ?? String(target.statementTimeoutMs),
        // an agent idle inside a transaction cannot hold a server (and its locks) for long
        idle_in_transaction_session_timeout: String(target.idleInTransactionTimeoutMs ?? 0),
      });
      this.holders.set(s, holder);
      s.poolKey = key;
      if (!this.statusCache.has(key)) this.statusCache.set(key, new Map(s.params));
      return s;
    } catch (err) {
      d.total--;
      count(d, holder, -1);
      this.serveWaiters(database);
      throw err;
    }
  }

  /** ParameterStatus values a server of this key reported at startup (for clients without a server). */
  async parameterStatus(database: string, key: string, settings: Record<string, string>): Promise<Map<string, string>> {
    const cached = this.statusCache.get(key);
    if (cached) return cached;
    const s = await this.acquire(database, key, settings);
    this.release(s);
    return this.statusCache.get(key) ?? new Map(s.params);
  }

  /** Marks a server bound to an idle client as reclaimable; `reclaim` detaches it from the client. */
  lend(s: ServerConn, reclaim: Reclaim): void {
    const database = s.target.database;
    const d = this.db(database);
    d.lendable.add(s);
    s.reclaim = reclaim;
    if (d.waiting.size > 0) this.makeRoom(d, database);
  }

  /** The client is using its server again. */
  unlend(s: ServerConn): void {
    this.db(s.target.database).lendable.delete(s);
    s.reclaim = null;
  }

  /** Returns a clean server (status idle, no session state) to the pool. */
  release(s: ServerConn): void {
    const database = s.target.database;
    const d = this.db(database);
    d.lendable.delete(s);
    s.reclaim = null;
    this.letGo(d, s);
    s.owner = null;
    if (s.closed || this.closed || s.status !== 0x49 || s.outstanding > 0 || s.dirty) {
      if (!s.closed) s.close();
      d.total--;
      this.serveWaiters(database);
      return;
    }
    s.lastUsed = Date.now();
    const w = this.nextWaiter(d);
    if (w && w.key === s.poolKey) return w.resolve(this.hold(d, s, w.holder));
    if (w) {
      // the next waiter in turn wants other settings: replace this server by one of theirs
      s.close();
      d.total--;
      this.opened(database, w);
      this.serveWaiters(database);
      return;
    }
    let list = d.idle.get(s.poolKey);
    if (!list) d.idle.set(s.poolKey, (list = []));
    list.push(s);
  }

  /** Discards a server that can not be reused (broken, or state we can not reset). */
  discard(s: ServerConn): void {
    s.dirty = true;
    this.release(s);
  }

  private serveWaiters(database: string): void {
    const d = this.db(database);
    while (d.total < this.opts.maxPerDatabase) {
      const w = this.nextWaiter(d);
      if (!w) return;
      this.opened(database, w);
    }
  }

  private opened(database: string, w: Waiter): void {
    this.open(database, w.key, settingsFromKey(w.key), w.holder).then(w.resolve, w.reject);
  }

  private reapIdle(): void {
    const now = Date.now();
    for (const [database, d] of this.dbs) {
      for (const list of d.idle.values()) {
        for (let i = list.length - 1; i >= 0; i--) {
          if (now - list[i].lastUsed > this.opts.idleTimeoutMs) {
            list.splice(i, 1)[0].close();
            d.total--;
          }
        }
      }
      if (d.waiting.size > 0) this.serveWaiters(database);
    }
  }

  stats(): { database: string; total: number; idle: number; lendable: number; waiting: number }[] {
    return [...this.dbs].map(([database, d]) => ({
      database,
      total: d.total,
      idle: [...d.idle.values()].reduce((n, l) => n + l.length, 0),
      lendable: d.lendable.size,
      waiting: d.waiting.size,
    }));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const d of this.dbs.values()) {
      for (const list of d.idle.values()) for (const s of list) s.close();
      d.idle.clear();
      for (const w of d.waiting.drain()) w.reject(new Error('pool closed'));
    }
    logger.debug('wire pool closed');
  }
}

function count(d: DbPool, holder: Holder, delta: number): void {
  const n = (d.held.get(holder) ?? 0) + delta;
  return void (n > 0 ? d.held.set(holder, n) : d.held.delete(holder));
}
