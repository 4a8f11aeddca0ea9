// I/O layer of a client session: input framing and queueing (one message handled at a time, async
// steps hold the queue), batched writes both ways with backpressure, FATAL and close. Which server
// a session talks to is session-upstream.ts; what to do with each message is session.ts.
import type net from 'node:net';
import { FrameError, FrameReader, errorResponse, type FrameSink } from '../../protocol/index.js';
import type { ServerConn } from '../upstream/wire-conn.js';
import type { WirePool } from '../upstream/wire-pool.js';
import { AirlockError, asAirlockError } from '../errors.js';
import type { Agent } from '../domain/request.js';
import type { GatewayPort } from '../gateway-port.js';
import { logger } from '../logger.js';
import { FrameBatch } from './frame-batch.js';

export interface SessionContext {
  gateway: GatewayPort;
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

export abstract class SessionCore {
  /** the upstream server bound to this session, if any (see session-upstream.ts) */
  server: ServerConn | null = null;
  closed = false;
  private busy = false;
  private readonly queue: Queued[] = [];
  private readonly toServer = new FrameBatch();
  protected readonly toClient = new FrameBatch();
  /** The server socket paused because the client reads slowly; resumed on drain or close. */
  protected pausedServer: ServerConn | null = null;

  constructor(
    readonly socket: net.Socket,
    readonly reader: FrameReader,
    readonly ctx: SessionContext,
    readonly id: SessionIdentity,
  ) {}

  protected abstract dispatch(type: number, buf: Buffer, start: number, end: number): Step;
  /** called when an async step fails with an error that is not fatal */
  protected abstract stepFailed(err: AirlockError): void;
  /** nothing queued, nothing running: a chance to give the server back */
  protected abstract idle(): void;
  /** the session is closing: give the server back */
  protected abstract releaseServer(): void;

  /** no client message is being handled or waiting */
  protected get quiet(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  /** State snapshot for diagnostics. */
  debugState(): Record<string, unknown> {
    return { pid: this.id.pid, busy: this.busy, queued: this.queue.length };
  }

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
    if (this.quiet) this.idle();
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
    if (out && this.audited()) this.writeClient(out);
  }

  /** Nothing goes back to the client before its audit events are durable; if they cannot be, the session ends. */
  private audited(): boolean {
    try {
      this.ctx.gateway.ensureAudited();
      return true;
    } catch (err) {
      const e = asAirlockError(err);
      this.socket.write(errorResponse({ severity: 'FATAL', code: e.code, message: e.message }));
      this.close();
      return false;
    }
  }

  private writeClient(b: Buffer): void {
    if (!this.socket.write(b) && this.server && !this.pausedServer) {
      const s = this.server;
      this.pausedServer = s;
      s.socket.pause();
      this.socket.once('drain', () => this.resumeServer());
    }
  }

  protected resumeServer(): void {
    const s = this.pausedServer;
    this.pausedServer = null;
    if (s && !s.closed) s.socket.resume();
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
    this.releaseServer();
    this.socket.end();
    this.socket.destroySoon?.();
  }

  protected onClose(): void {}
}
