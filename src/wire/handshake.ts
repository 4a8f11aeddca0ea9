// Connection start for one client: SSL/GSSENC negotiation, CancelRequest, StartupMessage, and
// SCRAM-SHA-256 authentication of the agent's token. Ends by handing the socket to a Session.
import net from 'node:net';
import tls from 'node:tls';
import { createHash } from 'node:crypto';
import {
  Front,
  FrameError,
  FrameReader,
  StartupCode,
  authOk,
  authSasl,
  authSaslContinue,
  authSaslFinal,
  backendKeyData,
  decodeCancel,
  decodeSaslInitial,
  decodeStartup,
  errorResponse,
  frame,
  frameBody,
  makeVerifier,
  parameterStatus,
  parseVerifier,
  rfqFor,
  serverFinal,
  serverFirst,
  startupCode,
  type ScramServerState,
  type ScramVerifier,
} from '../../protocol/index.js';
import { AirlockError, asAirlockError, featureNotSupported, invalidPassword, protocolViolation } from '../errors.js';
import type { Agent } from '../domain/request.js';
import { WirePool } from '../upstream/wire-pool.js';
import { filterStartup, type FilteredStartup } from './startup-params.js';
import type { SessionContext, SessionIdentity } from './session-core.js';

export interface HandshakeDeps {
  ctx: SessionContext;
  tls?: tls.SecureContext;
  startupTimeoutMs: number;
  maxMessageBytes: number;
  cancel: (pid: number, secret: number) => void;
  /** a fresh cancel key registered for the session */
  newKey: () => { pid: number; secret: number };
  onReady: (socket: net.Socket, reader: FrameReader, id: SessionIdentity, pending: Pending[]) => void;
}

export interface Pending {
  type: number;
  buf: Buffer;
  start: number;
  end: number;
}

const State = { startup: 0, saslInitial: 1, saslFinal: 2, busy: 3, done: 4 } as const;
type State = (typeof State)[keyof typeof State];

/** Per-name fake verifier so unknown agents get the same exchange as known ones (no enumeration). */
const fakeVerifier = (name: string): ScramVerifier =>
  parseVerifier(
    makeVerifier(
      createHash('sha256')
        .update('airlock-unknown:' + name)
        .digest('hex'),
      4096,
      createHash('md5').update(name).digest(),
    ),
  )!;

export function handshake(raw: net.Socket, deps: HandshakeDeps): void {
  let socket: net.Socket = raw;
  const reader = new FrameReader(deps.maxMessageBytes, true);
  let state: State = State.startup;
  let startup: FilteredStartup | null = null;
  /** who the startup packet claimed to be, for the audit of refused attempts */
  let claimed: { user: string; database: string; client?: string } | null = null;
  let agent: Agent | null = null;
  let verifier: ScramVerifier | null = null;
  let scram: ScramServerState | null = null;
  const pending: Pending[] = [];
  const remote = raw.remoteAddress;
  const timer = setTimeout(() => fail(protocolViolation('startup did not complete in time'), false), deps.startupTimeoutMs);

  const fail = (e: AirlockError, audit = true) => {
    if (state === State.done) return;
    state = State.done;
    clearTimeout(timer);
    if (audit && claimed) {
      deps.ctx.gateway.auditConnection({
        agentName: claimed.user,
        database: claimed.database,
        ok: false,
        reason: e.message,
        remote,
        client: claimed.client,
      });
    }
    if (!socket.destroyed) socket.end(errorResponse({ severity: 'FATAL', code: e.code, message: e.message }));
    socket.destroySoon?.();
  };

  const onFrame = (type: number, buf: Buffer, start: number, end: number) => {
    if (state === State.done) return;
    if (state === State.busy) {
      pending.push({ type, buf, start, end });
      return;
    }
    if (state === State.startup) return onStartupPacket(buf, start, end);
    if (type !== Front.password) throw protocolViolation(`expected SASL response, got message type "${String.fromCharCode(type)}"`);
    if (state === State.saslInitial) {
      const { mechanism, data } = decodeSaslInitial(buf, start, end);
      if (mechanism !== 'SCRAM-SHA-256') throw invalidPassword(`unsupported SASL mechanism "${mechanism}"`);
      try {
        scram = serverFirst(data.toString('utf8'), verifier!);
      } catch (e) {
        throw protocolViolation((e as Error).message);
      }
      state = State.saslFinal;
      socket.write(authSaslContinue(scram.serverFirst));
      return;
    }
    let final: string | null;
    try {
      final = serverFinal(frameBody(buf, start, end).toString('utf8'), scram!, verifier!);
    } catch (e) {
      throw protocolViolation((e as Error).message);
    }
    if (!final || !agent) throw invalidPassword(`password authentication failed for agent "${startup!.user}"`);
    state = State.busy;
    socket.write(authSaslFinal(final));
    void complete();
  };

  const onStartupPacket = (buf: Buffer, start: number, end: number) => {
    const code = startupCode(buf, start, end);
    if (code === StartupCode.ssl || code === StartupCode.gssenc) {
      if (end !== buf.length) throw protocolViolation('received unencrypted data after SSL request');
      if (code === StartupCode.ssl && deps.tls && !(socket instanceof tls.TLSSocket)) {
        socket.removeListener('data', onData);
        socket.write('S');
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: deps.tls });
        secure.on('error', () => fail(protocolViolation('TLS handshake failed'), false));
        secure.on('data', onData);
        socket = secure;
        return;
      }
      socket.write('N');
      return;
    }
    if (code === StartupCode.cancel) {
      const { pid, secret } = decodeCancel(buf, start, end);
      state = State.done;
      clearTimeout(timer);
      deps.cancel(pid, secret);
      socket.end();
      return;
    }
    const msg = decodeStartup(buf, start, end);
    if (msg.protocol >>> 16 !== 3)
      throw featureNotSupported(`unsupported frontend protocol ${msg.protocol >>> 16}.${msg.protocol & 0xffff}`);
    if (msg.params.user)
      claimed = {
        user: msg.params.user.slice(0, 200),
        database: (msg.params.database || msg.params.user).slice(0, 200),
        client: msg.params.application_name?.slice(0, 200),
      };
    startup = filterStartup(msg.params);
    if ((msg.protocol & 0xffff) !== 0 || startup.unsupportedOptions.length > 0) {
      socket.write(negotiateProtocolVersion(startup.unsupportedOptions));
    }
    reader.untyped = false;
    state = State.busy;
    void lookup();
  };

  const lookup = async () => {
    try {
      const found = await deps.ctx.gateway.agentAuth(startup!.user);
      agent = found?.agent ?? null;
      verifier = (found && parseVerifier(found.scramVerifier)) || fakeVerifier(startup!.user);
      if (found && !parseVerifier(found.scramVerifier)) agent = null;
    } catch (err) {
      return fail(asAirlockError(err));
    }
    if (state !== State.busy) return;
    state = State.saslInitial;
    socket.write(authSasl(['SCRAM-SHA-256']));
    drainPending();
  };

  const complete = async () => {
    const s = startup!;
    try {
      const key = WirePool.key(s.database, s.settings);
      const status = await deps.ctx.pool.parameterStatus(s.database, key, s.settings);
      await deps.ctx.gateway.prepareDatabase(s.database);
      if (state !== State.busy) return;
      const k = deps.newKey();
      const out: Buffer[] = [authOk];
      for (const [name, value] of status) out.push(parameterStatus(name, name === 'application_name' ? (s.applicationName ?? '') : value));
      out.push(backendKeyData(k.pid, k.secret), rfqFor(0x49));
      socket.write(Buffer.concat(out));
      state = State.done;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      deps.ctx.gateway.auditConnection({ agentName: s.user, database: s.database, ok: true, remote, client: s.applicationName });
      deps.onReady(
        socket,
        reader,
        {
          agent: agent!,
          database: s.database,
          settings: s.settings,
          poolKey: key,
          applicationName: s.applicationName,
          pid: k.pid,
          secret: k.secret,
          remote,
        },
        pending,
      );
    } catch (err) {
      fail(asAirlockError(err));
    }
  };

  const drainPending = () => {
    const list = pending.splice(0);
    try {
      for (const p of list) onFrame(p.type, p.buf, p.start, p.end);
    } catch (err) {
      onError(err);
    }
  };

  const onError = (err: unknown) => {
    if (err instanceof FrameError) return fail(new AirlockError(err.message, err.kind === 'too-large' ? '54000' : '08P01', 400), false);
    fail(asAirlockError(err));
  };

  const onData = (chunk: Buffer) => {
    try {
      reader.feed(chunk, onFrame);
    } catch (err) {
      onError(err);
    }
  };

  socket.on('data', onData);
  socket.on('error', () => fail(protocolViolation('connection error'), false));
  socket.on('close', () => {
    if (state !== State.done) {
      clearTimeout(timer);
      state = State.done;
    }
  });
}

/** NegotiateProtocolVersion: we speak 3.0 and none of the `_pq_.` options. */
function negotiateProtocolVersion(options: string[]): Buffer {
  const parts = [Buffer.from([0, 3, 0, 0]), Buffer.alloc(4)];
  parts[1].writeInt32BE(options.length);
  for (const o of options) parts.push(Buffer.from(o + '\0'));
  return frame(0x76, Buffer.concat(parts));
}
