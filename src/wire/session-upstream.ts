// The upstream part of a client session: which server it talks to and when. A server is taken
// from the pool on the first forwarded message, lent back at every transaction boundary with
// nothing in flight (unless session state pins it), and its ReadyForQuery count keeps proxy-made
// answers in order behind the server's (synth, syncPoint). Frames from the server go straight to
// the session's ClientIo, DataRows counted per result: past the agent's caps (limits.maxRows,
// maxResultBytes) they are dropped and a NoticeResponse says so before the CommandComplete.
import { Back, rfqFor } from '../../protocol/index.js';
import type { ServerConn, ServerOwner } from '../upstream/wire-conn.js';
import { connectionFailure, upstreamUnavailable } from '../errors.js';
import type { ClientIo, Step } from './client-io.js';
import type { SessionContext, SessionIdentity } from './session-types.js';
import { capNotice } from './result-frames.js';
import { WireMasking } from './row-masking.js';

/** ReadyForQuery status inside a transaction block that has not failed */
const IN_BLOCK = 0x54;

/**
 * What aborts a block upstream (abortBlock): a statement PostgreSQL cannot parse, so it always
 * fails, and its text says why in the server's log. Its answer never reaches the client.
 */
export const ABORT_BLOCK = 'airlock_refused_a_statement_of_this_transaction';

export class UpstreamBinding implements ServerOwner {
  /** the upstream server bound to this session, if any */
  server: ServerConn | null = null;
  /** the server is lent back to the pool while this client is idle */
  private lent = false;
  /** session state on the server (named statements, SET, LISTEN...): keep it until the end */
  pinned = false;
  txStatus = 0x49;
  /** extended-protocol messages forwarded since the last Sync */
  forwardedSinceSync = false;
  /** after an error in an extended batch, client messages are ignored up to the next Sync */
  skipToSync = false;
  /** a ReadyForQuery arrived in the current upstream chunk; lend the server only after it is flushed */
  private readyPending = false;
  /** performance.now() when what runs upstream now began (0: nothing runs): timeout-watch.ts reads it */
  runningSince = 0;
  /** rows and bytes forwarded in the current result, and the cap that stopped it (rows then dropped) */
  private rows = 0;
  private bytes = 0;
  private capped: 'maxRows' | 'maxResultBytes' | null = null;
  /** rows forwarded since the last ReadyForQuery, for the agent's rows budget */
  private received = 0;
  private readonly maxRows: number;
  private readonly maxBytes: number;
  /** the agent's column masking on this database (row-masking.ts); null when no rule applies */
  readonly masking: WireMasking | null;

  constructor(
    private readonly ctx: SessionContext,
    private readonly id: SessionIdentity,
    private readonly io: ClientIo,
    /** a ReadyForQuery from the server goes to the client */
    private readonly answered: () => void,
  ) {
    this.maxRows = id.limits.maxRows;
    this.maxBytes = id.limits.maxResultBytes;
    this.masking = id.masker ? new WireMasking(id.masker) : null;
  }

  debugState(): Record<string, unknown> {
    const s = this.server;
    return {
      pinned: this.pinned,
      lent: this.lent,
      forwardedSinceSync: this.forwardedSinceSync,
      server: s ? { status: String.fromCharCode(s.status), outstanding: s.outstanding, closed: s.closed } : null,
    };
  }

  /** Transaction status as the client should see it. */
  currentStatus(): number {
    return this.server ? this.server.status : this.txStatus;
  }

  // ---- binding ----

  /** The bound server, or one taken synchronously from the pool; null means acquire() is needed. */
  tryServer(): ServerConn | null {
    if (this.server) {
      if (this.lent) {
        this.ctx.pool.unlend(this.server);
        this.lent = false;
      }
      return this.server;
    }
    const s = this.ctx.pool.tryAcquire(this.id.database, this.id.poolKey, this.id.agent.id);
    if (s) this.bind(s);
    return s;
  }

  async acquire(): Promise<ServerConn> {
    const s = this.tryServer();
    if (s) return s;
    const got = await this.ctx.pool.acquire(this.id.database, this.id.poolKey, this.id.settings, this.id.agent.id);
    if (this.io.closed) {
      this.ctx.pool.release(got);
      throw connectionFailure('client went away');
    }
    this.bind(got);
    return got;
  }

  private bind(s: ServerConn): void {
    s.owner = this;
    if (s.socket.isPaused()) s.socket.resume();
    this.server = s;
    this.lent = false;
  }

  /** At a transaction boundary with nothing in flight, let the pool take the server back if needed. */
  idle(): void {
    const s = this.server;
    if (!s || this.lent || this.pinned || this.io.closed) return;
    if (s.status !== 0x49 || s.outstanding > 0 || this.forwardedSinceSync) return;
    this.lent = true;
    this.ctx.pool.lend(s, this.reclaimed);
  }

  /** The pool took the lent server back (made once per session: idle() runs every transaction). */
  private readonly reclaimed = (srv: ServerConn): void => {
    if (this.server === srv) {
      if (this.io.pausedServer === srv) this.io.resumeServer();
      this.server = null;
      this.lent = false;
    }
  };

  /** Gives the server back: clean ones directly, pinned ones after DISCARD ALL, others are closed. */
  releaseServer(): void {
    const s = this.server;
    this.server = null;
    this.runningSince = 0;
    if (!s) return;
    const pool = this.ctx.pool;
    pool.unlend(s);
    s.owner = null;
    if (s.closed) return pool.release(s);
    if (s.outstanding > 0 || this.forwardedSinceSync || s.status !== 0x49) return pool.discard(s);
    if (!this.pinned) return pool.release(s);
    if (this.id.settings.sharedBackend) return pool.discard(s); // DISCARD ALL would reset every session
    s.internalQuery('DISCARD ALL').then(
      (err) => (err ? pool.discard(s) : pool.release(s)),
      () => pool.discard(s),
    );
  }

  // ---- ordering with the server ----

  /** Forwards an extended-protocol message, taking a server first if the session has none. */
  forwardExtended(buf: Buffer, start: number, end: number): Step {
    const s = this.tryServer();
    if (!s) {
      return this.acquire().then(() => {
        this.forwardedSinceSync = true;
        this.forward(buf, start, end);
      });
    }
    this.forwardedSinceSync = true;
    this.forward(buf, start, end);
  }

  /** A client message goes upstream: the clock of the statement-time cap runs from the first one. */
  forward(buf: Buffer, start: number, end: number): void {
    if (this.runningSince === 0) this.runningSince = performance.now();
    this.io.forward(buf, start, end);
  }

  /**
   * Runs `fn` (which emits proxy-made frames) after the upstream has answered everything already
   * forwarded, so responses stay in order. Synchronous when nothing is in flight (the common case).
   */
  synth(fn: () => Step): Step {
    const s = this.server;
    if (!s || (!this.forwardedSinceSync && s.outstanding === 0)) return fn();
    return this.syncPoint().then((serverFailed) => (serverFailed ? undefined : fn()));
  }

  /** Airlock's own error answering a simple Query: the error, the open block aborted (abortBlock), then ReadyForQuery. */
  refuseQuery(frame: Buffer): Step {
    return this.synth(() => {
      this.io.emit(frame);
      const aborting = this.abortBlock();
      if (!aborting) return void this.io.emit(rfqFor(this.currentStatus()));
      return aborting.then(() => this.io.emit(rfqFor(this.currentStatus())));
    });
  }

  /**
   * After an error Airlock answered itself (a blocked or refused statement, a held one denied or not
   * decided), the agent's transaction block, if one is open, is aborted upstream as a PostgreSQL
   * error would abort it: later statements get 25P02 until ROLLBACK, and COMMIT rolls back, so no
   * part of a block that met an error is committed. Call with nothing in flight (inside synth).
   */
  abortBlock(): Step {
    const s = this.server;
    if (!s || s.closed || s.status !== IN_BLOCK) return;
    return s.internalQuery(ABORT_BLOCK).then(() => {
      this.txStatus = s.status;
    });
  }

  /** Ends the forwarded run with an internal Sync and waits for it; true when the server reported an error. */
  async syncPoint(): Promise<boolean> {
    const s = this.server;
    if (!s) return false;
    if (this.forwardedSinceSync) {
      this.forwardedSinceSync = false;
      this.io.flushServer();
      this.masking?.syncSent();
      const err = await s.internalSync();
      this.masking?.synced();
      this.txStatus = s.status;
      if (err) this.skipToSync = true;
      this.stopClock();
      return err !== null;
    }
    await s.drained();
    this.stopClock();
    return false;
  }

  /** Nothing left to answer upstream: the clock stops (else it restarts for what is still queued). */
  private stopClock(): void {
    const s = this.server;
    this.runningSince = s && (s.outstanding > 0 || this.forwardedSinceSync) ? performance.now() : 0;
  }

  // ---- ServerOwner: frames from the upstream go straight through, merged per chunk ----

  fromServer(type: number, buf: Buffer, start: number, end: number): void {
    // an error on a lent server is the server ending (57P01 on a restart...): not for the idle client
    if (this.lent && type === Back.errorResponse) return;
    if (type === Back.dataRow || type === Back.copyData) {
      if (this.capped !== null) return;
      if (this.rows >= this.maxRows) return void (this.capped = 'maxRows');
      if (this.bytes + (end - start) > this.maxBytes) return void (this.capped = 'maxResultBytes');
      this.rows++;
      this.bytes += end - start;
    } else if (type === Back.commandComplete || type === Back.errorResponse || type === Back.readyForQuery) {
      this.resultEnd();
    }
    if (this.masking !== null) {
      const instead = this.masking.fromServer(type, buf, start, end);
      if (instead === null) return;
      if (instead !== undefined) return this.io.emit(instead);
    }
    this.io.fromServer(buf, start, end);
  }

  /** A result ended (or failed): the notice if a cap cut it, its rows counted, the clock restarted for the next statement. */
  private resultEnd(): void {
    if (this.capped !== null) {
      this.io.emit(capNotice(this.capped, this.capped === 'maxRows' ? this.maxRows : this.maxBytes, this.rows));
      this.capped = null;
    }
    this.received += this.rows;
    this.rows = 0;
    this.bytes = 0;
    if (this.runningSince !== 0) this.runningSince = performance.now();
  }

  fromServerEnd(): void {
    this.io.flushClient();
    if (this.readyPending) {
      this.readyPending = false;
      if (this.io.quiet) this.idle();
    }
  }

  serverReady(status: number): void {
    this.txStatus = status;
    this.readyPending = true;
    this.stopClock();
    if (this.received > 0) {
      if (this.id.limits.rows) this.ctx.gateway.limits.chargeRows(this.id.agent.name, this.received);
      this.received = 0;
    }
    this.answered();
  }

  serverLost(err: Error): void {
    // the dead server still counts in the pool (its slot, the agent's share, lent or not): give it
    // back, closed, so an upstream restart does not leave the pool short of servers
    const s = this.server;
    const idle = this.lent;
    this.server = null;
    this.lent = false;
    if (s) this.ctx.pool.release(s);
    // a client idle between transactions (lent: no session state, nothing in flight) lost nothing:
    // its next statement takes another server; any other client is told and disconnected
    if (idle) return;
    if (!this.io.closed) this.io.fatal(upstreamUnavailable({ lost: err.message, database: this.id.database }));
  }
}
