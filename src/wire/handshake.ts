// Connection start for one client, as a small state machine (one handler per step, as in
// pg-gateway's connection steps): SSL/GSSENC negotiation, CancelRequest, StartupMessage, then
// SCRAM-SHA-256 authentication of the agent's token. Ends by handing the socket to a Session.
import type net from 'node:net';
import tls from 'node:tls';
import {
  Front,
  FrameError,
  FrameReader,
  StartupCode,
  authSasl,
  authSaslContinue,
  authSaslFinal,
  decodeCancel,
  decodeSaslInitial,
  decodeStartup,
  errorResponse,
  frameBody,
  serverFinal,
  serverFirst,
  startupCode,
  type ScramServerState,
  type ScramVerifier,
} from '../../protocol/index.js';
import { AirlockError, asAirlockError, featureNotSupported, invalidPassword, protocolViolation, upstreamUnavailable } from '../errors.js';
import type { Agent } from '../domain/request.js';
import { filterStartup, type FilteredStartup } from './startup-params.js';
import type { SessionContext, SessionIdentity } from './session-types.js';
import type { Pending } from './client-io.js';
import { negotiateProtocolVersion, readyFrames, verifierFor } from './handshake-frames.js';
import { dropBytes, readInto, type Inbound } from '../domain/inbound.js';
import type { ClientConn } from './client-reads.js';

export interface HandshakeDeps {
  ctx: SessionContext;
  tls?: tls.SecureContext;
  startupTimeoutMs: number;
  maxMessageBytes: number;
  cancel: (pid: number, secret: number) => void;
  /** a fresh cancel key registered for the session */
  newKey: () => { pid: number; secret: number };
  onReady: (conn: ClientConn, reader: FrameReader, id: SessionIdentity, pending: Pending[]) => void;
}

/** Where the handshake is. Between `lookingUp`/`completing` and the next step, frames wait in order. */
const Step = {
  startup: 'startup',
  lookingUp: 'lookingUp',
  saslInitial: 'saslInitial',
  saslFinal: 'saslFinal',
  completing: 'completing',
  done: 'done',
} as const;
type Step = (typeof Step)[keyof typeof Step];

/** Run the handshake on a freshly accepted connection. */
export function handshake(conn: ClientConn, deps: HandshakeDeps): void {
  new Handshake(conn, deps).start();
}

class Handshake {
  private socket: net.Socket;
  /** where the socket's bytes go: this handshake's reader until it hands the connection on */
  private inbound: Inbound;
  private step: Step = Step.startup;
  private readonly reader: FrameReader;
  private readonly pending: Pending[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly remote: string | undefined;
  private startup: FilteredStartup | null = null;
  /** who the startup packet claimed to be, for the audit of refused attempts */
  private claimed: { user: string; database: string; client?: string } | null = null;
  private agent: Agent | null = null;
  private verifier: ScramVerifier | null = null;
  private scram: ScramServerState | null = null;

  /** one handler per step that reads frames */
  private readonly handlers: Record<Step, (type: number, buf: Buffer, start: number, end: number) => void> = {
    [Step.startup]: (_t, buf, start, end) => this.onStartupPacket(buf, start, end),
    [Step.lookingUp]: (type, buf, start, end) => this.pending.push({ type, buf, start, end }),
    [Step.saslInitial]: (type, buf, start, end) => this.onSaslInitial(type, buf, start, end),
    [Step.saslFinal]: (type, buf, start, end) => this.onSaslFinal(type, buf, start, end),
    [Step.completing]: (type, buf, start, end) => this.pending.push({ type, buf, start, end }),
    [Step.done]: () => undefined,
  };

  constructor(
    conn: ClientConn,
    private readonly deps: HandshakeDeps,
  ) {
    this.socket = conn.socket;
    this.inbound = conn.inbound;
    this.remote = conn.socket.remoteAddress;
    this.reader = new FrameReader(deps.maxMessageBytes, true);
    this.timer = setTimeout(() => this.fail(this.timedOut(), false), deps.startupTimeoutMs);
  }

  /** Past the startup bound: the client's fault, unless it is authenticated and Airlock waits for the upstream. */
  private timedOut(): AirlockError {
    if (this.step !== Step.completing) return protocolViolation('startup did not complete in time');
    return upstreamUnavailable({ database: this.startup?.database, err: `no upstream connection within ${this.deps.startupTimeoutMs} ms` });
  }

  start(): void {
    this.inbound.to = this.onData;
    this.socket.on('error', () => this.fail(protocolViolation('connection error'), false));
    this.socket.on('close', () => this.finish());
  }

  private readonly onData = (chunk: Buffer) => {
    try {
      this.reader.feed(chunk, (type, buf, start, end) => this.handlers[this.step](type, buf, start, end));
    } catch (err) {
      this.onError(err);
    }
  };

  private onError(err: unknown): void {
    if (err instanceof FrameError)
      return this.fail(new AirlockError(err.message, err.kind === 'too-large' ? '54000' : '08P01', 400), false);
    this.fail(asAirlockError(err));
  }

  private finish(): void {
    this.step = Step.done;
    clearTimeout(this.timer);
  }

  /** FATAL to the client and close; refused attempts are audited when the client said who it was. */
  private fail(e: AirlockError, audit = true): void {
    if (this.step === Step.done) return;
    this.finish();
    if (audit && this.claimed) this.audit(false, this.claimed, e.message);
    if (!this.socket.destroyed) this.socket.end(errorResponse({ severity: 'FATAL', code: e.code, message: e.message }));
    this.socket.destroySoon?.();
  }

  private audit(ok: boolean, who: { user: string; database: string; client?: string }, reason?: string): void {
    this.deps.ctx.gateway.record({
      type: ok ? 'auth.ok' : 'auth.failed',
      door: 'wire',
      agent: who.user,
      database: who.database,
      data: { reason, remote: this.remote, client: who.client },
    });
  }

  // ---- step: startup ----

  private onStartupPacket(buf: Buffer, start: number, end: number): void {
    const code = startupCode(buf, start, end);
    if (code === StartupCode.ssl || code === StartupCode.gssenc) return this.negotiateEncryption(code, buf, end);
    if (code === StartupCode.cancel) {
      const { pid, secret } = decodeCancel(buf, start, end);
      this.finish();
      this.deps.cancel(pid, secret);
      this.socket.end();
      return;
    }
    const msg = decodeStartup(buf, start, end);
    if (msg.protocol >>> 16 !== 3)
      throw featureNotSupported(`unsupported frontend protocol ${msg.protocol >>> 16}.${msg.protocol & 0xffff}`);
    if (msg.params.user) {
      const p = msg.params;
      this.claimed = {
        user: p.user.slice(0, 200),
        database: (p.database || p.user).slice(0, 200),
        client: p.application_name?.slice(0, 200),
      };
    }
    this.startup = filterStartup(msg.params);
    if ((msg.protocol & 0xffff) !== 0 || this.startup.unsupportedOptions.length > 0) {
      this.socket.write(negotiateProtocolVersion(this.startup.unsupportedOptions));
    }
    this.reader.untyped = false;
    this.step = Step.lookingUp;
    void this.lookUp(this.startup.user);
  }

  /** SSLRequest: TLS when configured, else 'N'; GSSENCRequest: always 'N'. */
  private negotiateEncryption(code: number, buf: Buffer, end: number): void {
    if (end !== buf.length) throw protocolViolation('received unencrypted data after SSL request');
    if (code === StartupCode.ssl && this.deps.tls && !(this.socket instanceof tls.TLSSocket)) {
      this.inbound.to = dropBytes;
      this.socket.write('S');
      const secure = new tls.TLSSocket(this.socket, { isServer: true, secureContext: this.deps.tls });
      secure.on('error', () => this.fail(protocolViolation('TLS handshake failed'), false));
      // TLS reads its socket itself: the session reads the clear text through 'data'
      this.inbound = { to: this.onData };
      readInto(secure, this.inbound);
      this.socket = secure;
      return;
    }
    this.socket.write('N');
  }

  // ---- step: lookingUp (frames wait) ----

  private async lookUp(user: string): Promise<void> {
    try {
      // throttled per agent name and per address before the verifier is even looked up
      await this.deps.ctx.gateway.authAttempt('wire', this.remote ?? 'unknown', user);
    } catch (err) {
      return this.fail(asAirlockError(err), false); // authAttempt audited the refusal
    }
    try {
      const found = await this.deps.ctx.gateway.agentAuth(user);
      const { agent, verifier } = verifierFor(user, found);
      this.agent = agent;
      this.verifier = verifier;
    } catch (err) {
      return this.fail(asAirlockError(err));
    }
    if (this.step !== Step.lookingUp) return;
    this.step = Step.saslInitial;
    this.socket.write(authSasl(['SCRAM-SHA-256']));
    this.replayPending();
  }

  private replayPending(): void {
    const list = this.pending.splice(0);
    try {
      for (const p of list) this.handlers[this.step](p.type, p.buf, p.start, p.end);
    } catch (err) {
      this.onError(err);
    }
  }

  // ---- steps: SASL ----

  private onSaslInitial(type: number, buf: Buffer, start: number, end: number): void {
    if (type !== Front.password) throw protocolViolation(`expected SASL response, got message type "${String.fromCharCode(type)}"`);
    const { mechanism, data } = decodeSaslInitial(buf, start, end);
    if (mechanism !== 'SCRAM-SHA-256') throw invalidPassword(`unsupported SASL mechanism "${mechanism}"`);
    try {
      this.scram = serverFirst(data.toString('utf8'), this.verifier!);
    } catch (e) {
      throw protocolViolation((e as Error).message);
    }
    this.step = Step.saslFinal;
    this.socket.write(authSaslContinue(this.scram.serverFirst));
  }

  private onSaslFinal(type: number, buf: Buffer, start: number, end: number): void {
    if (type !== Front.password) throw protocolViolation(`expected SASL response, got message type "${String.fromCharCode(type)}"`);
    let final: string | null;
    try {
      final = serverFinal(frameBody(buf, start, end).toString('utf8'), this.scram!, this.verifier!);
    } catch (e) {
      throw protocolViolation((e as Error).message);
    }
    if (!final || !this.agent) {
      void this.deps.ctx.gateway.authFailed('wire', this.remote ?? 'unknown', this.startup!.user);
      throw invalidPassword(`password authentication failed for agent "${this.startup!.user}"`);
    }
    this.step = Step.completing;
    void this.deps.ctx.gateway.authSucceeded('wire', this.remote ?? 'unknown', this.startup!.user);
    this.socket.write(authSaslFinal(final));
    void this.complete();
  }

  // ---- step: completing (frames wait), then the session takes over ----

  private async complete(): Promise<void> {
    const s = this.startup!;
    const pool = this.deps.ctx.pool;
    try {
      const limits = this.deps.ctx.gateway.limits.of(this.agent!.name);
      const settings = withTimeoutCap(s.settings, limits.statementTimeoutMs, this.deps.ctx.gateway.config.upstream.statementTimeoutMs);
      const key = pool.keyFor(s.database, settings);
      const status = await pool.parameterStatus(s.database, key, settings);
      await this.deps.ctx.gateway.prepareDatabase(s.database);
      if (this.step !== Step.completing) return;
      const k = this.deps.newKey();
      this.socket.write(readyFrames(status, s.applicationName, k));
      this.finish();
      this.inbound.to = dropBytes;
      this.audit(true, { user: s.user, database: s.database, client: s.applicationName });
      const id: SessionIdentity = {
        agent: this.agent!,
        database: s.database,
        settings,
        poolKey: key,
        applicationName: s.applicationName,
        pid: k.pid,
        secret: k.secret,
        remote: this.remote,
        limits,
        masker: this.deps.ctx.gateway.masker(this.agent!.name, s.database),
      };
      this.deps.onReady({ socket: this.socket, inbound: this.inbound }, this.reader, id, this.pending);
    } catch (err) {
      this.fail(asAirlockError(err));
    }
  }
}

/**
 * An agent whose statement-time cap is below the upstream's default starts its servers with the cap
 * as statement_timeout (a startup setting, so it keys their sub-pool); SETting more is caught by the
 * proxy's watch (timeout-watch.ts).
 */
function withTimeoutCap(settings: Record<string, string>, capMs: number, defaultMs: number): Record<string, string> {
  return capMs < defaultMs ? { ...settings, statement_timeout: String(capMs) } : settings;
}
