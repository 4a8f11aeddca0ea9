// I/O half of a client session: input framing and queueing, binding to an upstream server from the
// pool, batched writes both ways with backpressure, and ordering of proxy-made responses after the
// server's. The protocol logic (what to do with each message) lives in session.ts.
import type net from 'node:net';
import { FrameError, FrameReader, errorResponse, type FrameSink } from '../../protocol/index.js';
import type { ServerConn, ServerOwner } from '../upstream/wire-conn.js';
import type { WirePool } from '../upstream/wire-pool.js';
import { AirlockError, asAirlockError, connectionFailure } from '../errors.js';
import type { Agent } from '../gateway-types.js';
import type { WireGateway } from './port.js';
import { logger } from '../logger.js';
import { FrameBatch } from './frame-batch.js';

export interface SessionContext {
  gateway: WireGateway;
  pool: WirePool;
  approvalWaitSeconds: number;
  /** forget a session's cancel key when it ends */
  unregister: (pid: number) => void;
}

export interface SessionIdentity {
  agent: Agent;
  database: string;
  settings: Record<string, string>;
  poolKey: string;
  applicationName?: string;
  pid: number;
  secret: number;
  remote?: string;
}

interface Queued {
  type: number;
  buf: Buffer;
  start: number;
  end: number;
}

/** A handler either finishes synchronously or returns a promise; the queue waits for it. */
export type Step = void | Promise<void>;

const MAX_QUEUED = 4096;

export abstract class SessionCore implements ServerOwner {
  server: ServerConn | null = null;
  /** the server is lent back to the pool while this client is idle */
  protected lent = false;
  /** session state on the server (named statements, SET, LISTEN...): keep it until the end */
  pinned = false;
  txStatus = 0x49;
  /** extended-protocol messages forwarded since the last Sync */
  protected forwardedSinceSync = false;
  closed = false;
  private busy = false;
  private readonly queue: Queued[] = [];
  private readonly toServer = new FrameBatch();
  private readonly toClient = new FrameBatch();

  constructor(
    readonly socket: net.Socket,
    readonly reader: FrameReader,
    readonly ctx: SessionContext,
    readonly id: SessionIdentity,
  ) {}

  /** State snapshot for diagnostics. */
  debugState(): Record<string, unknown> {
    return {
      pid: this.id.pid,
      busy: this.busy,
      queued: this.queue.length,
      pinned: this.pinned,
      lent: this.lent,
      forwardedSinceSync: this.forwardedSinceSync,
      server: this.server ? { status: String.fromCharCode(this.server.status), outstanding: this.server.outstanding, closed: this.server.closed } : null,
    };
  }

  protected abstract dispatch(type: number, buf: Buffer, start: number, end: number): Step;
  /** called when an async step fails with an error that is not fatal */
  protected abstract stepFailed(err: AirlockError): void;

  /** Starts reading client frames. */
  start(pending: Queued[] = []): void {
    for (const q of pending) this.queue.push(q);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', () => this.close());
    this.socket.on('close', () => this.close());
    this.pump();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.reader.feed(chunk, this.sink);
    } catch (err) {
      if (err instanceof FrameError) {
        this.fatal(new AirlockError(err.message, err.kind === 'too-large' ? '54000' : '08P01', 400));
      } else {
        this.fatal(asAirlockError(err));
      }
      return;
    }
    this.flushServer();
    this.flushClient();
    if (this.queue.length > MAX_QUEUED) this.socket.pause();
  }

  private readonly sink: FrameSink = (type, buf, start, end) => {
    if (this.busy || this.queue.length > 0 || this.closed) {
      if (!this.closed) this.queue.push({ type, buf, start, end });
      return;
    }
    this.run(type, buf, start, end);
  };

  private run(type: number, buf: Buffer, start: number, end: number): void {
    let step: Step;
    try {
      step = this.dispatch(type, buf, start, end);
    } catch (err) {
      this.failed(err);
      return;
    }
    if (step) {
      this.busy = true;
      step.then(
        () => this.resume(),
        (err) => {
          this.failed(err);
          this.resume();
        },
      );
    }
  }

  private resume(): void {
    this.busy = false;
    this.pump();
  }

  private pump(): void {
    while (!this.busy && !this.closed && this.queue.length > 0) {
      const q = this.queue.shift()!;
      this.run(q.type, q.buf, q.start, q.end);
    }
    this.flushServer();
    this.flushClient();
    if (this.queue.length < MAX_QUEUED / 2 && this.socket.isPaused() && !this.closed) this.socket.resume();
    if (!this.busy && this.queue.length === 0) this.idle();
  }

  private failed(err: unknown): void {
    if (this.closed) return;
    const e = asAirlockError(err);
    if (e.code === '08P01' || e.code === '08006' || !(err instanceof AirlockError)) {
      if (!(err instanceof AirlockError)) logger.debug({ err }, 'wire session step failed');
      this.fatal(e);
      return;
    }
    this.stepFailed(e);
    this.flushClient();
  }

  // ---- upstream binding ----

  /** The bound server, or one taken synchronously from the pool; null means acquire() is needed. */
  protected tryServer(): ServerConn | null {
    if (this.server) {
      if (this.lent) {
        this.ctx.pool.unlend(this.server, this.id.database);
        this.lent = false;
      }
      return this.server;
    }
    const s = this.ctx.pool.tryAcquire(this.id.database, this.id.poolKey);
    if (s) this.bind(s);
    return s;
  }

  protected async acquire(): Promise<ServerConn> {
    const s = this.tryServer();
    if (s) return s;
    const got = await this.ctx.pool.acquire(this.id.database, this.id.poolKey, this.id.settings);
    if (this.closed) {
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
  private idle(): void {
    const s = this.server;
    if (!s || this.lent || this.pinned || this.closed) return;
    if (s.status !== 0x49 || s.outstanding > 0 || this.forwardedSinceSync) return;
    this.lent = true;
    this.ctx.pool.lend(s, this.id.database, (srv) => {
      if (this.server === srv) {
        if (this.pausedServer === srv) this.resumeServer();
        this.server = null;
        this.lent = false;
      }
    });
  }

  // ---- output ----

  protected forward(buf: Buffer, start: number, end: number): void {
    this.toServer.add(buf, start, end);
  }

  protected forwardBuffer(b: Buffer): void {
    this.toServer.push(b);
  }

  protected flushServer(): void {
    const out = this.toServer.take();
    const s = this.server;
    if (!out || !s || s.closed) return;
    if (!s.write(out)) {
      this.socket.pause();
      s.socket.once('drain', () => !this.closed && this.socket.resume());
    }
  }

  /** A frame the proxy wrote itself; callers make sure the server has nothing in flight first. */
  protected emit(b: Buffer): void {
    this.toClient.push(b);
  }

  protected flushClient(): void {
    if (this.closed) return;
    const out = this.toClient.take();
    if (out) this.writeClient(out);
  }

  /** The server socket paused because the client reads slowly; resumed on drain or close. */
  private pausedServer: ServerConn | null = null;

  private writeClient(b: Buffer): void {
    if (!this.socket.write(b) && this.server && !this.pausedServer) {
      const s = this.server;
      this.pausedServer = s;
      s.socket.pause();
      this.socket.once('drain', () => this.resumeServer());
    }
  }

  private resumeServer(): void {
    const s = this.pausedServer;
    this.pausedServer = null;
    if (s && !s.closed) s.socket.resume();
  }

  // ServerOwner: frames from the upstream go straight through, merged per chunk
  fromServer(_type: number, buf: Buffer, start: number, end: number): void {
    this.toClient.add(buf, start, end);
  }

  fromServerEnd(): void {
    this.flushClient();
    if (this.readyPending) {
      this.readyPending = false;
      if (!this.busy && this.queue.length === 0) this.idle();
    }
  }

  /** a ReadyForQuery arrived in the current upstream chunk; lend the server only after it is flushed */
  private readyPending = false;

  serverReady(status: number): void {
    this.txStatus = status;
    this.readyPending = true;
  }

  serverLost(err: Error): void {
    this.server = null;
    if (!this.closed) this.fatal(connectionFailure(`upstream connection lost: ${err.message}`));
  }

  /** FATAL error, then close this one connection. */
  fatal(e: AirlockError): void {
    if (this.closed) return;
    this.toClient.push(errorResponse({ severity: 'FATAL', code: e.code, message: e.message, detail: e.detail }));
    this.flushClient();
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.ctx.unregister(this.id.pid);
    this.onClose();
    this.resumeServer();
    const s = this.server;
    this.server = null;
    if (s) this.returnServer(s);
    this.socket.end();
    this.socket.destroySoon?.();
  }

  protected onClose(): void {}

  /** Gives the server back: clean ones directly, pinned ones after DISCARD ALL, others are closed. */
  private returnServer(s: ServerConn): void {
    const pool = this.ctx.pool;
    pool.unlend(s, this.id.database);
    s.owner = null;
    if (s.closed) return pool.release(s);
    if (s.outstanding > 0 || this.forwardedSinceSync || s.status !== 0x49) return pool.discard(s);
    if (!this.pinned) return pool.release(s);
    s.internalQuery('DISCARD ALL').then(
      (err) => (err ? pool.discard(s) : pool.release(s)),
      () => pool.discard(s),
    );
  }
}
