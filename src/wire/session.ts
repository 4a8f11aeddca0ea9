// A client session of the wire proxy: the protocol handlers, composed with the session's I/O
// (client-io.ts) and its upstream binding (session-upstream.ts). Every statement is classified
// before anything reaches the upstream. Simple query: classify the whole string; the extended
// protocol is extended-protocol.ts.
import { Front, decodeQuery, emptyQueryResponse, queryTextIsUtf8, rfqFor } from '../../protocol/index.js';
import { AirlockError, asAirlockError, insufficientPrivilege, invalidUtf8, protocolViolation } from '../errors.js';
import type { GatewayRequest } from '../domain/request.js';
import type { Decision } from '../domain/decision.js';
import { errorFrame, blockedFrame, resultFrames, timeoutNotice } from './result-frames.js';
import type { FrameReader } from '../../protocol/index.js';
import type { ServerConn } from '../upstream/wire-conn.js';
import { ClientIo, type IoOwner, type Pending, type Step } from './client-io.js';
import type { ClientConn } from './client-reads.js';
import { UpstreamBinding } from './session-upstream.js';
import type { SessionContext, SessionIdentity } from './session-types.js';
import { runHeld } from './held.js';
import { ExtendedProtocol } from './extended-protocol.js';
import { copiesFromClient, copyInNotHeld, isEmpty, leavesSessionState, trackPrepared } from './statement-facts.js';
import { clampCaps, clampedQuery } from './timeout-clamp.js';
import { debugEnabled, logger } from '../logger.js';

export class Session implements IoOwner {
  private abort: AbortController | null = null;
  readonly io: ClientIo;
  readonly up: UpstreamBinding;
  private readonly ext: ExtendedProtocol;
  /** timeouts a SET may not raise past (timeout-clamp.ts) */
  readonly clampCaps: Readonly<Record<string, number>>;
  /** SQL-level PREPAREs sent upstream: name → text (an EXECUTE of one is decided by it) */
  readonly prepared = new Map<string, string>();
  /** when the open round trip's first statement was classified (0: none open) */
  private startedAt = 0;
  private roundTrips = 0;

  constructor(
    conn: ClientConn,
    reader: FrameReader,
    readonly ctx: SessionContext,
    readonly id: SessionIdentity,
  ) {
    this.io = new ClientIo(conn, reader, ctx.gateway, this);
    this.up = new UpstreamBinding(ctx, id, this.io, () => this.answered());
    this.clampCaps = clampCaps(ctx.gateway.config.upstream);
    this.ext = new ExtendedProtocol(this);
  }

  /** Starts reading client frames (those that arrived during the handshake first). */
  start(pending: Pending[] = []): void {
    this.io.start(pending);
  }

  close(): void {
    this.io.close();
  }

  /** FATAL error, then close (revocation, shutdown). */
  fatal(e: AirlockError): void {
    this.io.fatal(e);
  }

  /** a statement is running or waits its turn (shutdown lets it finish) */
  get busy(): boolean {
    const s = this.up.server;
    return !this.io.quiet || this.up.forwardedSinceSync || (s !== null && s.outstanding > 0);
  }

  debugState(): Record<string, unknown> {
    return { pid: this.id.pid, ...this.io.debugState(), ...this.up.debugState() };
  }

  // ---- IoOwner ----

  idle(): void {
    this.up.idle();
  }

  closing(): void {
    this.ctx.unregister(this.id.pid);
    this.up.releaseServer();
  }

  server(): ServerConn | null {
    return this.up.server;
  }

  answered(): void {
    if (this.startedAt === 0) return;
    this.ctx.gateway.observeLatency('wire', this.startedAt);
    this.roundTrips++;
    if (debugEnabled()) {
      const ms = Math.round((performance.now() - this.startedAt) * 1000) / 1000;
      const requestId = `${this.id.pid.toString(16)}-${this.roundTrips}`;
      logger.debug({ requestId, agent: this.id.agent.name, database: this.id.database, ms }, 'wire statement answered');
    }
    this.startedAt = 0;
  }

  dispatch(type: number, buf: Buffer, start: number, end: number): Step {
    if (this.up.skipToSync && type !== Front.sync && type !== Front.terminate) return;
    switch (type) {
      case Front.query:
        return this.onQuery(decodeQuery(buf, start, end), buf, start, end);
      case Front.parse:
        return this.ext.onParse(buf, start, end);
      case Front.bind:
        return this.ext.onBind(buf, start, end);
      case Front.describe:
        return this.ext.onDescribe(buf, start, end);
      case Front.execute:
        return this.ext.onExecute(buf, start, end);
      case Front.close:
        return this.ext.onClose(buf, start, end);
      case Front.sync:
        return this.ext.onSync(buf, start, end);
      case Front.flush:
        if (this.up.server && this.up.forwardedSinceSync) this.io.forward(buf, start, end);
        return;
      case Front.terminate:
        this.io.close();
        return;
      case Front.copyData:
      case Front.copyDone:
      case Front.copyFail:
        // only meaningful while the upstream runs a COPY that was itself classified; else dropped
        if (this.up.server && this.up.server.outstanding > 0) this.io.forward(buf, start, end);
        return;
      case Front.functionCall:
        return this.up.refuseQuery(errorFrame(insufficientPrivilege('fastpath function calls are not allowed through Airlock')));
      default:
        throw protocolViolation(`invalid frontend message type ${type} ("${String.fromCharCode(type)}")`);
    }
  }

  /** The gateway request for one statement of this session. */
  request(sql: string, params?: unknown[]): GatewayRequest {
    if (this.startedAt === 0) this.startedAt = performance.now();
    return {
      agent: this.id.agent,
      door: 'wire',
      database: this.id.database,
      sql,
      params,
      client: this.id.applicationName,
      session: { inTransaction: this.up.currentStatus() !== 0x49, searchPath: this.id.settings.search_path, prepared: this.prepared },
    };
  }

  // ---- simple query ----

  private onQuery(sql: string, buf: Buffer, start: number, end: number): Step {
    if (!queryTextIsUtf8(sql, buf, start, end)) {
      return this.up.refuseQuery(errorFrame(invalidUtf8()));
    }
    if (this.up.forwardedSinceSync) {
      // a Query inside an unfinished extended batch: PostgreSQL skips it if the batch failed, so close
      // the batch with our own Sync first and keep the ReadyForQuery count exact
      return this.up.syncPoint().then((failed) => (failed ? undefined : this.onQuery(sql, buf, start, end)));
    }
    if (/^\s*$/.test(sql)) {
      return this.up.synth(() => {
        this.io.emit(emptyQueryResponse);
        this.io.emit(rfqFor(this.up.currentStatus()));
      });
    }
    if (!this.rated) return this.decideQuery(sql, buf, start, end);
    return this.admitted(
      () => this.decideQuery(sql, buf, start, end),
      (e) => this.up.refuseQuery(errorFrame(e)),
    );
  }

  /**
   * The agent's rates (limits.requestsPerMinute, rowsPerHour): one request counted, then `next`, or
   * `refuse` with the 53400 error. Synchronous for agents without rates (the common, fast case).
   */
  get rated(): boolean {
    return this.id.limits.gated;
  }

  admitted(next: () => Step, refuse: (e: AirlockError) => Step): Step {
    if (!this.id.limits.gated) return next();
    if (this.startedAt === 0) this.startedAt = performance.now();
    return this.ctx.gateway.limits
      .admit(this.id.agent, 'wire', { database: this.id.database })
      .then((refused) => (refused ? refuse(refused) : next()));
  }

  private decideQuery(sql: string, buf: Buffer, start: number, end: number): Step {
    let decision: Decision;
    try {
      decision = this.ctx.gateway.decide(this.request(sql));
    } catch (err) {
      return this.up.refuseQuery(errorFrame(asAirlockError(err)));
    }
    if (isEmpty(decision)) {
      return this.up.synth(() => {
        this.io.emit(emptyQueryResponse);
        this.io.emit(rfqFor(this.up.currentStatus()));
      });
    }
    if (decision.decision === 'block') return this.up.refuseQuery(blockedFrame(decision));
    if (decision.decision === 'ask' && copiesFromClient(decision)) return this.up.refuseQuery(errorFrame(copyInNotHeld()));
    if (decision.decision === 'ask') return this.heldQuery(sql, decision);
    if (leavesSessionState(decision)) this.up.pinned = true;
    trackPrepared(decision, this.prepared);
    const clamped = clampedQuery(decision, this.clampCaps);
    if (clamped) [buf, start, end] = [clamped, 0, clamped.length];
    const s = this.up.tryServer();
    if (!s) {
      return this.up.acquire().then(
        () => this.forwardQuery(buf, start, end),
        (err) => this.up.refuseQuery(errorFrame(asAirlockError(err))),
      );
    }
    this.forwardQuery(buf, start, end);
  }

  private forwardQuery(buf: Buffer, start: number, end: number): void {
    this.up.masking?.syncSent(); // answered by its own ReadyForQuery, like a Sync
    this.up.forward(buf, start, end);
    this.up.server!.expectClientReady();
  }

  private async heldQuery(sql: string, decision: Decision): Promise<void> {
    await this.up.syncPoint();
    const r = await this.held(sql, undefined, decision);
    if (!r.ok) return this.up.refuseQuery(r.error);
    for (const f of resultFrames(r.result, true)) this.io.emit(f);
    this.io.emit(rfqFor(this.up.currentStatus()));
  }

  /** The ask-tier flow for one statement: notice, wait for the reviewer, the result or the error frame. */
  async held(sql: string, params: unknown[] | undefined, decision: Decision) {
    this.abort = new AbortController();
    try {
      return await runHeld(this.ctx.gateway, this.request(sql, params), decision, {
        waitSeconds: this.ctx.approvalWaitSeconds,
        signal: this.abort.signal,
        notice: (b: Buffer) => {
          this.io.emit(b);
          this.io.flushClient();
        },
      });
    } finally {
      this.abort = null;
    }
  }

  /**
   * The statement running upstream has run past the agent's cap (limits.statementTimeoutMs) plus
   * `graceMs` — its statement_timeout was SET higher: a notice, and PostgreSQL is asked to cancel it
   * (57014). Called by timeout-watch.ts; the clock restarts, so a cancel that missed is sent again.
   */
  watch(now: number, graceMs: number): void {
    const since = this.up.runningSince;
    const cap = this.id.limits.statementTimeoutMs;
    if (since === 0 || now - since < cap + graceMs) return;
    const s = this.up.server;
    if (!s || s.closed || (s.outstanding === 0 && !this.up.forwardedSinceSync)) {
      this.up.runningSince = 0;
      return;
    }
    this.up.runningSince = now;
    this.io.emit(timeoutNotice(cap));
    this.io.flushClient();
    s.cancel();
  }

  /** CancelRequest for this session: stop waiting for a reviewer, or cancel the upstream query. */
  cancel(): void {
    if (this.abort) this.abort.abort();
    else if (this.up.server && this.up.server.outstanding > 0) this.up.server.cancel();
  }

  stepFailed(err: AirlockError): void {
    this.io.emit(errorFrame(err));
    this.up.skipToSync = true;
  }
}
