// Accepted client connections, read through Node's `onread` (see src/domain/inbound.ts) like the
// proxy's upstream connections: one callback per read instead of the readable stream's machinery.
import net from 'node:net';
import { newInbound, onreadInto, readInto, type Inbound } from '../domain/inbound.js';

/** A client connection and where its bytes go now (the handshake, then its session). */
export interface ClientConn {
  socket: net.Socket;
  inbound: Inbound;
}

/** The parts of net.Socket that moving an accepted connection's handle touches (not in Node's types). */
interface SocketInternals {
  _handle: unknown;
  _server: net.Server | null;
  server: net.Server | null;
}

/**
 * Takes a connection accepted by a server listening with `pauseOnConnect` (nothing read yet).
 * net.Server has no `onread` option for the sockets it accepts, so the connection's handle moves
 * to a new socket made with one, and the server's count of open connections moves along with it
 * (`server.close()` still waits for this connection, and counts it down once it closes). When the
 * handle is not where Node 18–22 keep it, the accepted socket is read through 'data' events instead.
 */
export function adoptClient(raw: net.Socket): ClientConn {
  const inbound = newInbound();
  const r = raw as unknown as SocketInternals;
  if (!r._handle || typeof r._handle !== 'object' || !r._server) {
    readInto(raw, inbound).resume();
    return { socket: raw, inbound };
  }
  const options = { handle: r._handle, readable: true, writable: true, onread: onreadInto(inbound) };
  const socket = new net.Socket(options as net.SocketConstructorOpts);
  const s = socket as unknown as SocketInternals;
  s._server = r._server;
  s.server = r.server;
  r._server = null;
  r.server = null;
  r._handle = null;
  return { socket, inbound };
}
