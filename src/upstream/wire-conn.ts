// One raw protocol connection to the upstream PostgreSQL, used by the wire proxy.
// It authenticates itself, then relays frames to whichever client session currently owns it and
// keeps a FIFO of expected ReadyForQuery messages so internal Syncs/queries can be swallowed.
import type net from 'node:net';
import {
  AuthCode,
  Back,
  FrameReader,
  ScramClient,
  decodeAuth,
  decodeBackendKey,
  decodeNotice,
  decodeParameterStatus,
  md5Password,
  passwordMessage,
  queryMessage,
  rfqStatus,
  saslInitialMessage,
  saslResponseMessage,
  startupMessage,
  syncMessage,
  terminateMessage,
} from '../../protocol/index.js';
import { connectServerReading, openTlsServer, sendCancel, serverAddress, wantsTls } from './server-socket.js';
import { newInbound, readInto, type Inbound } from '../domain/inbound.js';
import type { SslMode } from './url.js';
import { connectionFailure, invalidPassword, upstreamUnavailable, AirlockError, type SqlStateCode } from '../errors.js';

export interface UpstreamTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  statementTimeoutMs: number;
  /** PostgreSQL ends a session idle inside a transaction this long (0: never) */
  idleInTransactionTimeoutMs?: number;
  /** opening a connection (TCP, authentication, first ReadyForQuery) may take this long (default 10 s) */
  connectTimeoutMs?: number;
  /** the upstream URL's sslmode: TLS (or no connection) when set and not `disable` */
  sslmode?: SslMode | null;
  /** the upstream URL's `options`, sent as the startup packet's options (its settings yield to the proxy's own) */
  options?: string;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The client session currently bound to a server connection. */
export interface ServerOwner {
  /** a frame to pass to the client (buf[start..end)) */
  fromServer(type: number, buf: Buffer, start: number, end: number): void;
  /** end of one upstream chunk: flush what was collected */
  fromServerEnd(): void;
  /** a client-visible ReadyForQuery arrived (already passed to fromServer) */
  serverReady(status: number): void;
  /** the upstream connection broke */
  serverLost(err: Error): void;
}

/** What to do with the responses up to the next ReadyForQuery. */
const Expect = {
  /** client Sync/Query: everything goes to the client */
  client: 0,
  /** internal Sync closing a run of client messages: their responses go to the client, the ReadyForQuery does not */
  sync: 1,
  /** internal query (reset, SET): nothing reaches the client */
  query: 2,
} as const;

/** Called on a lent server when the pool takes it back from its idle client. */
export type Reclaim = (s: ServerConn) => void;

export class ServerConn {
  readonly params = new Map<string, string>();
  pid = 0;
  secret = 0;
  /** transaction status from the last ReadyForQuery */
  status = 0x49;
  owner: ServerOwner | null = null;
  closed = false;
  /** set by the pool: key of the sub-pool this connection belongs to */
  poolKey = '';
  /** set by the pool while the server is lent to an idle client: detaches it from that client */
  reclaim: Reclaim | null = null;
  /** the pool's list of lent servers (lend-list.ts) */
  lent = false;
  lentPrev: ServerConn | null = null;
  lentNext: ServerConn | null = null;
  /** the session holds state (named statements, SET...) and needs a reset before reuse */
  dirty = false;
  lastUsed = Date.now();
  private readonly expect: number[] = [];
  private internalError: Record<string, string> | null = null;
  private drainWaiters: (() => void)[] = [];
  private readonly reader = new FrameReader(1 << 30);

  private constructor(
    readonly socket: net.Socket,
    readonly target: UpstreamTarget,
    /** where the socket's reads go: the startup handler, then the relay to the owner */
    private readonly inbound: Inbound,
  ) {}

  /** Opens, authenticates and waits for the first ReadyForQuery. */
  static async connect(target: UpstreamTarget, startupParams: Record<string, string>): Promise<ServerConn> {
    const inbound = newInbound();
    const socket = wantsTls(target.sslmode)
      ? readInto(
          await openTlsServer(target.host, target.port, target.sslmode, target.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
          inbound,
        )
      : connectServerReading(target.host, target.port, inbound);
    socket.setNoDelay(true);
    const conn = new ServerConn(socket, target, inbound);
    await conn.startup(startupParams);
    return conn;
  }

  private startup(startupParams: Record<string, string>): Promise<void> {
    const t = this.target;
    return new Promise<void>((resolve, reject) => {
      let scram: ScramClient | null = null;
      // an upstream that accepts and never answers (frozen, or a network partition) must not hold
      // the statement that waits for this connection forever
      const ms = t.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const timer = setTimeout(
        () => fail(upstreamUnavailable({ upstream: serverAddress(t.host, t.port), err: `no answer within ${ms} ms` })),
        ms,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.socket.destroy();
        this.closed = true;
        reject(err);
      };
      const onFrame = (type: number, buf: Buffer, start: number, end: number) => {
        switch (type) {
          case Back.authentication: {
            const { code, data } = decodeAuth(buf, start, end);
            if (code === AuthCode.ok) return;
            if (code === AuthCode.cleartext) return this.socket.write(passwordMessage(t.password ?? ''));
            if (code === AuthCode.md5)
              return this.socket.write(passwordMessage(md5Password(t.user, t.password ?? '', data.subarray(0, 4))));
            if (code === AuthCode.sasl) {
              scram = new ScramClient(t.password ?? '');
              return this.socket.write(saslInitialMessage('SCRAM-SHA-256', scram.clientFirst));
            }
            if (code === AuthCode.saslContinue && scram) return this.socket.write(saslResponseMessage(scram.final(data.toString('utf8'))));
            if (code === AuthCode.saslFinal && scram) return scram.verify(data.toString('utf8'));
            throw connectionFailure(`upstream asked for unsupported authentication method ${code}`);
          }
          case Back.parameterStatus: {
            const p = decodeParameterStatus(buf, start, end);
            this.params.set(p.name, p.value);
            return;
          }
          case Back.backendKeyData: {
            const k = decodeBackendKey(buf, start, end);
            this.pid = k.pid;
            this.secret = k.secret;
            return;
          }
          case Back.errorResponse: {
            const f = decodeNotice(buf, start, end);
            const code = (f.C ?? '08006') as SqlStateCode;
            throw code.startsWith('28') ? invalidPassword(`upstream: ${f.M}`) : new AirlockError(`upstream: ${f.M}`, code, 503);
          }
          case Back.readyForQuery:
            clearTimeout(timer);
            this.status = rfqStatus(buf, start);
            this.socket.off('error', onError);
            this.socket.off('close', onClose);
            this.attach();
            return resolve();
          default:
            return; // NoticeResponse, NegotiateProtocolVersion: nothing to do
        }
      };
      const onData = (chunk: Buffer) => {
        try {
          this.reader.feed(chunk, onFrame);
        } catch (err) {
          fail(err as Error);
        }
      };
      const onClose = () => fail(connectionFailure('upstream closed the connection during startup'));
      const onError = (err: Error) => fail(upstreamUnavailable({ upstream: serverAddress(t.host, t.port), err: err.message }));
      this.inbound.to = onData;
      this.socket.once('error', onError);
      this.socket.once('close', onClose);
      const start = () => this.socket.write(startupMessage({ user: t.user, database: t.database, ...startupParams }));
      // past an SSLRequest the connection is open already (in TLS)
      if (this.socket.connecting) this.socket.once('connect', start);
      else start();
    });
  }

  private attach(): void {
    this.inbound.to = (chunk: Buffer) => {
      // the owner may change during the chunk (released at ReadyForQuery): flush the one that got frames
      const owner = this.owner;
      try {
        this.reader.feed(chunk, this.onFrame);
      } catch (err) {
        this.lost(err as Error);
        return;
      }
      owner?.fromServerEnd();
      if (this.owner && this.owner !== owner) this.owner.fromServerEnd();
    };
    this.socket.on('error', (err) => this.lost(err));
    this.socket.on('close', () => this.lost(connectionFailure('upstream connection closed')));
  }

  private lost(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    const owner = this.owner;
    this.owner = null;
    this.expect.length = 0;
    this.wakeDrain();
    owner?.serverLost(err);
  }

  private readonly onFrame = (type: number, buf: Buffer, start: number, end: number): void => {
    const head = this.expect.length > 0 ? this.expect[0] : Expect.client;
    if (head !== Expect.client) {
      if (type === Back.errorResponse && !this.internalError) this.internalError = decodeNotice(buf, start, end);
      if (type === Back.readyForQuery) {
        this.status = rfqStatus(buf, start);
        this.expect.shift();
        if (this.expect.length === 0) this.wakeDrain();
        return;
      }
      if (head === Expect.query) return;
    }
    const owner = this.owner;
    if (type === Back.readyForQuery) {
      this.status = rfqStatus(buf, start);
      if (this.expect.length > 0) this.expect.shift();
      if (owner) {
        owner.fromServer(type, buf, start, end);
        owner.serverReady(this.status);
      }
      if (this.expect.length === 0) this.wakeDrain();
      return;
    }
    owner?.fromServer(type, buf, start, end);
  };

  /** Number of ReadyForQuery messages still to come. */
  get outstanding(): number {
    return this.expect.length;
  }

  /** Records that a client Sync or Query was written: its ReadyForQuery goes to the client. */
  expectClientReady(): void {
    this.expect.push(Expect.client);
  }

  /** Writes an internal Sync whose ReadyForQuery is swallowed; returns the server error it met, if any. */
  async internalSync(): Promise<Record<string, string> | null> {
    this.internalError = null;
    this.expect.push(Expect.sync);
    this.socket.write(syncMessage);
    await this.drained();
    const e = this.internalError;
    this.internalError = null;
    return e;
  }

  /** Runs an internal simple query (reset, SET); its results never reach the client. */
  async internalQuery(sql: string): Promise<Record<string, string> | null> {
    this.internalError = null;
    this.expect.push(Expect.query);
    this.socket.write(queryMessage(sql));
    await this.drained();
    const e = this.internalError;
    this.internalError = null;
    return e;
  }

  /** Resolves once every expected ReadyForQuery has arrived. */
  drained(): Promise<void> {
    if (this.expect.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrain(): void {
    const w = this.drainWaiters;
    if (w.length === 0) return;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  write(buf: Buffer): boolean {
    return this.socket.write(buf);
  }

  /** Asks the upstream to cancel whatever this connection is running (a separate short connection). */
  cancel(): void {
    sendCancel(this.target.host, this.target.port, this.pid, this.secret);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner = null;
    this.wakeDrain();
    if (!this.socket.destroyed) this.socket.end(terminateMessage);
    this.socket.destroy();
  }
}
