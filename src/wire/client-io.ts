// The I/O part of a client session: input framing and queueing (one message handled at a time,
// async steps hold the queue), batched writes both ways with backpressure, FATAL and close. The
// session composes it with its upstream binding (session-upstream.ts) and its protocol handlers
// (session.ts); it calls back into its owner for what to do with each message.
import type net from 'node:net';
import type { Inbound } from '../domain/inbound.js';
import type { ClientConn } from './client-reads.js';
import { FrameError, FrameReader, errorResponse, type FrameSink } from '../../protocol/index.js';
import type { ServerConn } from '../upstream/wire-conn.js';
import { AirlockError, asAirlockError, clientStalled } from '../errors.js';
import type { GatewayPort } from '../gateway/port.js';
import { logger } from '../logger.js';
import { FrameBatch } from './frame-batch.js';

export interface Pending {
  type: number;
  buf: Buffer;
  start: number;
  end: number;
}

/** A handler either finishes synchronously or returns a promise; the queue waits for it. */
export type Step = void | Promise<void>;

/** What the I/O part asks of the session that owns it. */
export interface IoOwner {
  dispatch(type: number, buf: Buffer, start: number, end: number): Step;
  /** an async step failed with an error that is not fatal */
  stepFailed(err: AirlockError): void;
  /** nothing queued, nothing running: a chance to give the server back */
  idle(): void;
  /** the session is closing: forget its cancel key, give the server back */
  closing(): void;
  /** the upstream server bound right now, for backpressure */
  server(): ServerConn | null;
  /** a ReadyForQuery goes to the client: the round trip it ends is answered (latency) */
  answered(): void;
}

const MAX_QUEUED = 4096;

export class ClientIo {
  closed = false;
  private busy = false;
  private readonly queue: Pending[] = [];
  private readonly toServer = new FrameBatch();
  private readonly toClient = new FrameBatch();
  /** The server socket paused because the client reads slowly; resumed on drain or close. */
  pausedServer: ServerConn | null = null;
  private stallTimer: NodeJS.Timeout | undefined;
  /** audit events up to this mark include every one this session appended: durable before its next output */
  private auditMark = 0;

  readonly socket: net.Socket;
  private readonly inbound: Inbound;

  constructor(
    conn: ClientConn,
    private readonly reader: FrameReader,
    private readonly gateway: GatewayPort,
    private readonly owner: IoOwner,
  ) {
    this.socket = conn.socket;
    this.inbound = conn.inbound;
  }

  /** no client message is being handled or waiting */
  get quiet(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  /** State snapshot for diagnostics. */
  debugState(): Record<string, unknown> {
    return { busy: this.busy, queued: this.queue.length };
  }

  /** Starts reading client frames. */
  start(pending: Pending[] = []): void {
    for (const q of pending) this.queue.push(q);
    this.inbound.to = (chunk: Buffer) => this.onData(chunk);
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
    const before = this.gateway.auditMark();
    try {
      step = this.owner.dispatch(type, buf, start, end);
    } catch (err) {
      this.noteAudited(before);
      this.failed(err);
      return;
    }
    // a synchronous step runs alone: what it appended is this session's own
    this.noteAudited(before);
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

  /** Events appended since `before` were this session's: its next output waits for them. */
  private noteAudited(before: number): void {
    const now = this.gateway.auditMark();
    if (now > before) this.auditMark = now;
  }

  private resume(): void {
    // an async step's events may interleave with other sessions': all appended so far, to be safe
    this.auditMark = this.gateway.auditMark();
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
    if (this.quiet) this.owner.idle();
  }

  private failed(err: unknown): void {
    if (this.closed) return;
    const e = asAirlockError(err);
    if (e.code === '08P01' || e.code === '08006' || !(err instanceof AirlockError)) {
      if (!(err instanceof AirlockError)) logger.debug({ err }, 'wire session step failed');
      this.fatal(e);
      return;
    }
    this.owner.stepFailed(e);
    this.flushClient();
  }

  // ---- output ----

  forward(buf: Buffer, start: number, end: number): void {
    this.toServer.add(buf, start, end);
  }

  forwardBuffer(b: Buffer): void {
    this.toServer.push(b);
  }

  flushServer(): void {
    const out = this.toServer.take();
    const s = this.owner.server();
    if (!out || !s || s.closed) return;
    if (!s.write(out)) {
      this.socket.pause();
      s.socket.once('drain', () => !this.closed && this.socket.resume());
    }
  }

  /** A frame the proxy wrote itself; callers make sure the server has nothing in flight first. */
  emit(b: Buffer): void {
    if (b[0] === 0x5a) this.owner.answered();
    this.toClient.push(b);
  }

  /** Frames straight from the upstream, merged with their neighbours of the same chunk. */
  fromServer(buf: Buffer, start: number, end: number): void {
    this.toClient.add(buf, start, end);
  }

  flushClient(): void {
    if (this.closed) return;
    const out = this.toClient.take();
    if (out && this.audited()) this.writeClient(out);
  }

  /** Nothing goes back to the client before its audit events are durable; if they cannot be, the session ends. */
  private audited(): boolean {
    try {
      // while an async step runs, its events interleave with other sessions': everything, to be safe
      this.gateway.ensureAudited(this.busy ? undefined : this.auditMark);
      return true;
    } catch (err) {
      const e = asAirlockError(err);
      this.socket.write(errorResponse({ severity: 'FATAL', code: e.code, message: e.message }));
      this.close();
      return false;
    }
  }

  private writeClient(b: Buffer): void {
    const s = this.owner.server();
    if (!this.socket.write(b) && s && !this.pausedServer) {
      this.pausedServer = s;
      s.socket.pause();
      this.socket.once('drain', () => this.resumeServer());
      // a client that stops reading holds its server: after the bound the session ends, the server is freed
      const bound = this.gateway.config.wire.clientStallTimeoutMs;
      if (bound > 0) this.stallTimer = setTimeout(() => this.fatal(clientStalled(bound)), bound);
    }
  }

  resumeServer(): void {
    const s = this.pausedServer;
    this.pausedServer = null;
    clearTimeout(this.stallTimer);
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
    this.resumeServer();
    this.owner.closing();
    this.socket.end();
    this.socket.destroySoon?.();
  }
}
