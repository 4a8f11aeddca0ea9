// The wire proxy's listener: accepts PostgreSQL clients, runs the handshake, and hands each
// authenticated connection to a Session that talks to the shared upstream pool.
import net from 'node:net';
import tls from 'node:tls';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WirePool } from '../upstream/wire-pool.js';
import { logger } from '../logger.js';
import type { GatewayPort } from '../gateway/port.js';
import { handshake } from './handshake.js';
import { Session } from './session.js';
import type { SessionContext } from './session-types.js';

export interface WireServerConfig {
  host: string;
  port: number;
  approvalWaitSeconds: number;
  maxMessageBytes: number;
  /** PEM file paths (or PEM text) of the certificate and key; TLS is offered when set */
  tls?: { cert: string; key: string };
  /** upstream connections per database (default 20) */
  poolSize?: number;
  /** startup + authentication must finish within this time (default 10 s) */
  startupTimeoutMs?: number;
  /** close pooled upstream connections idle this long (default 60 s) */
  idleTimeoutMs?: number;
  /** how long a client waits for a free upstream connection before 53300 (default 30 s) */
  poolWaitTimeoutMs?: number;
}

export interface WireServer {
  port: number;
  close(): Promise<void>;
  /** live counters, for the bench and diagnostics */
  stats(): { clients: number; pool: ReturnType<WirePool['stats']> };
  /** per-session state, for diagnostics */
  sessions(): Record<string, unknown>[];
}

const pem = (v: string) => (v.includes('-----BEGIN') ? v : readFileSync(v, 'utf8'));

/** Starts the proxy; resolves once it listens (port 0 picks a free port). */
export async function startWireServer(opts: { gateway: GatewayPort; config: WireServerConfig }): Promise<WireServer> {
  const { gateway, config } = opts;
  const pool = new WirePool(
    {
      maxPerDatabase: config.poolSize ?? 20,
      idleTimeoutMs: config.idleTimeoutMs ?? 60_000,
      waitTimeoutMs: config.poolWaitTimeoutMs ?? 30_000,
    },
    (database) => gateway.upstream(database),
  );
  const sessions = new Map<number, Session>();
  const secrets = new Map<number, number>();
  const sockets = new Set<net.Socket>();
  const ctx: SessionContext = {
    gateway,
    pool,
    approvalWaitSeconds: config.approvalWaitSeconds,
    unregister: (pid) => {
      sessions.delete(pid);
      secrets.delete(pid);
    },
  };
  const secureContext = config.tls ? tls.createSecureContext({ cert: pem(config.tls.cert), key: pem(config.tls.key) }) : undefined;

  const newKey = () => {
    let pid: number;
    do pid = randomInt(1, 2 ** 31 - 1);
    while (secrets.has(pid));
    const secret = randomInt(0, 2 ** 31 - 1);
    secrets.set(pid, secret);
    return { pid, secret };
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    try {
      handshake(socket, {
        ctx,
        tls: secureContext,
        startupTimeoutMs: config.startupTimeoutMs ?? 10_000,
        maxMessageBytes: config.maxMessageBytes,
        newKey,
        cancel: (pid, secret) => {
          if (secrets.get(pid) === secret) sessions.get(pid)?.cancel();
        },
        onReady: (sock, reader, id, pending) => {
          const session = new Session(sock, reader, ctx, id);
          sessions.set(id.pid, session);
          session.start(pending);
        },
      });
    } catch (err) {
      logger.warn({ err }, 'wire handshake setup failed');
      socket.destroy();
    }
  });
  server.maxConnections = 100_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  logger.info({ port }, 'wire proxy listening');

  return {
    port,
    stats: () => ({ clients: sessions.size, pool: pool.stats() }),
    sessions: () => [...sessions.values()].map((s) => s.debugState()),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions.values()) s.close();
      for (const s of sockets) s.destroy();
      pool.close();
      await closed;
    },
  };
}
