// The wire proxy's listener: accepts PostgreSQL clients, runs the handshake, and hands each
// authenticated connection to a Session that talks to the shared upstream pool.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { WirePool } from '../upstream/wire-pool.js';
import { logger } from '../logger.js';
import { adminShutdown, invalidAuthorization, type AirlockError } from '../errors.js';
import type { GatewayPort } from '../gateway/port.js';
import { handshake, type HandshakeDeps } from './handshake.js';
import { SessionRegistry } from './session-registry.js';
import { adoptClient, type ClientConn } from './client-reads.js';
import { Session } from './session.js';
import type { SessionContext } from './session-types.js';
import { watchStatementTimes } from './timeout-watch.js';

export interface WireServerConfig {
  host: string;
  port: number;
  approvalWaitSeconds: number;
  maxMessageBytes: number;
  /** PEM file paths (or PEM text) of the certificate and key; TLS is offered when set */
  tls?: { cert: string; key: string };
  /** upstream connections per database (default 20) */
  poolSize?: number;
  /** upstream connections one agent may hold per database (default: half the pool) */
  maxPerAgent?: number;
  /** startup + authentication must finish within this time (default 10 s) */
  startupTimeoutMs?: number;
  /** close pooled upstream connections idle this long (default 60 s) */
  idleTimeoutMs?: number;
  /** how long a client waits for a free upstream connection before 53300 (default 30 s) */
  poolWaitTimeoutMs?: number;
}

export interface WireServer {
  port: number;
  /**
   * Shutdown, first step: stop accepting connections now; end each session once nothing of it is in
   * flight (FATAL 57P01), waiting at most graceMs for those still running a statement.
   */
  drain(graceMs: number): Promise<void>;
  close(): Promise<void>;
  /** live counters, for the bench and diagnostics */
  stats(): { clients: number; pool: ReturnType<WirePool['stats']> };
  /** per-session state, for diagnostics */
  sessions(): Record<string, unknown>[];
  /** end every session of an agent (revoked) with this FATAL error; returns how many */
  closeAgent(agentId: string, error: AirlockError): number;
}

/** how often a draining proxy looks for sessions whose statement has finished */
const DRAIN_POLL_MS = 20;

const pem = (v: string) => (v.includes('-----BEGIN') ? v : readFileSync(v, 'utf8'));

/** Starts the proxy; resolves once it listens (port 0 picks a free port). */
export async function startWireServer(opts: { gateway: GatewayPort; config: WireServerConfig }): Promise<WireServer> {
  const { gateway, config } = opts;
  const pool = new WirePool(
    {
      maxPerDatabase: config.poolSize ?? 20,
      maxPerAgent: config.maxPerAgent ?? Math.max(1, Math.ceil((config.poolSize ?? 20) / 2)),
      idleTimeoutMs: config.idleTimeoutMs ?? 60_000,
      waitTimeoutMs: config.poolWaitTimeoutMs ?? 30_000,
    },
    (database) => gateway.upstream(database),
  );
  const registry = new SessionRegistry();
  const sockets = new Set<net.Socket>();
  const ctx: SessionContext = { gateway, pool, approvalWaitSeconds: config.approvalWaitSeconds, unregister: (pid) => registry.remove(pid) };
  const deps: HandshakeDeps = {
    ctx,
    tls: config.tls ? tls.createSecureContext({ cert: pem(config.tls.cert), key: pem(config.tls.key) }) : undefined,
    startupTimeoutMs: config.startupTimeoutMs ?? 10_000,
    maxMessageBytes: config.maxMessageBytes,
    newKey: () => registry.newKey(),
    cancel: (pid, secret) => registry.cancel(pid, secret),
    onReady: (conn, reader, id, pending) => {
      const session = new Session(conn, reader, ctx, id);
      registry.add(session);
      session.start(pending);
    },
  };
  // nothing is read before the connection moves to a socket read through `onread` (client-reads.ts)
  const server = net.createServer({ pauseOnConnect: true }, (raw) => accept(adoptClient(raw), sockets, deps));
  const unfollow = gateway.onAgentRevoked((agent) =>
    registry.closeAgent(agent.id, invalidAuthorization(`agent "${agent.name}" was revoked; the connection is closed`)),
  );
  server.maxConnections = 100_000;
  const port = await listen(server, config.port, config.host);
  // statements past their agent's cap are canceled, whatever statement_timeout their session SET
  const stopWatch = watchStatementTimes(() => registry.each(), gateway.limits.shortestTimeoutMs);
  logger.info({ port }, 'wire proxy listening');
  let stopped: Promise<void> | null = null;
  // resolves once the listener and every connection are closed
  const stopListening = () => (stopped ??= new Promise<void>((resolve) => server.close(() => resolve())));

  return {
    port,
    stats: () => ({ clients: registry.size, pool: pool.stats() }),
    sessions: () => registry.all().map((s) => s.debugState()),
    closeAgent: (agentId, error) => registry.closeAgent(agentId, error),
    drain: async (graceMs) => {
      void stopListening();
      const deadline = Date.now() + graceMs;
      for (;;) {
        for (const s of registry.all()) if (!s.busy) s.fatal(adminShutdown());
        if (registry.size === 0 || Date.now() >= deadline) return;
        await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
      }
    },
    close: async () => {
      unfollow();
      stopWatch();
      const closed = stopListening();
      for (const s of registry.all()) s.close();
      for (const s of sockets) s.destroy();
      pool.close();
      await closed;
    },
  };
}

/** A new client connection: tracked until it closes, then the handshake. */
function accept(conn: ClientConn, sockets: Set<net.Socket>, deps: HandshakeDeps): void {
  const socket = conn.socket;
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  socket.setNoDelay(true);
  try {
    handshake(conn, deps);
  } catch (err) {
    logger.warn({ err }, 'wire handshake setup failed');
    socket.destroy();
  }
}

/** Listen and resolve with the port (0 picks a free one). */
function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
