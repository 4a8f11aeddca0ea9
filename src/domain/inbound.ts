// Where a connection's incoming bytes go, for sockets read through Node's `onread` option instead
// of 'data' events. With `onread` a read skips the readable stream's push, 'data' emit and read-ahead
// tick, which the wire proxy would otherwise pay on each of its two reads per round trip. Pure: the
// sockets are made by their owners (src/upstream/server-socket.ts, src/wire/client-reads.ts).

/** The current reader of a connection; its owner points it elsewhere as the connection changes hands. */
export interface Inbound {
  to: (chunk: Buffer) => void;
}

/** A reader that drops what it gets: a connection's bytes between two owners. */
export const dropBytes = (): void => undefined;

/** An Inbound that drops what it gets until someone points it somewhere. */
export const newInbound = (): Inbound => ({ to: dropBytes });

// one read buffer for every such connection: each read is copied out before another can start (the
// event loop reads one socket at a time and `onread`'s callback runs right after the read)
const readBuffer = Buffer.allocUnsafe(64 * 1024);

/** Node's `onread` option that hands each read to `inbound` as its own copy, so a chunk may be kept as with 'data'. */
export function onreadInto(inbound: Inbound): { buffer: Uint8Array; callback: (n: number, buf: Uint8Array) => boolean } {
  return {
    buffer: readBuffer,
    callback: (n, buf) => {
      const chunk = Buffer.allocUnsafe(n);
      chunk.set(buf.subarray(0, n));
      inbound.to(chunk);
      return true;
    },
  };
}

/** A socket read through 'data' events (TLS, or a socket that could not be read through `onread`) feeding `inbound`. */
export function readInto<S extends { on(event: 'data', fn: (chunk: Buffer) => void): unknown }>(socket: S, inbound: Inbound): S {
  socket.on('data', (chunk: Buffer) => inbound.to(chunk));
  return socket;
}
