// Accepted client connections move to a socket read through `onread` (src/wire/client-reads.ts):
// bytes arrive in order through the connection's Inbound, pause() stops reading, the server's
// count of open connections follows the moved socket, and a socket that cannot move is read
// through 'data' events instead. Real sockets on 127.0.0.1.
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { adoptClient, type ClientConn } from '../../src/wire/client-reads.js';

const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server that adopts every connection and hands it to the test. */
async function adoptingServer(): Promise<{ server: net.Server; port: number; next: () => Promise<ClientConn> }> {
  const waiting: ((c: ClientConn) => void)[] = [];
  const ready: ClientConn[] = [];
  const server = net.createServer({ pauseOnConnect: true }, (raw) => {
    const conn = adoptClient(raw);
    const w = waiting.shift();
    if (w) w(conn);
    else ready.push(conn);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const next = () => (ready.length ? Promise.resolve(ready.shift()!) : new Promise<ClientConn>((r) => waiting.push(r)));
  return { server, port, next };
}

const received = (conn: ClientConn, bytes: number) =>
  new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    conn.inbound.to = (c) => {
      chunks.push(c);
      n += c.length;
      if (n >= bytes) resolve(Buffer.concat(chunks));
    };
  });

describe('adopted client connections', () => {
  it('deliver every byte in order as chunks that stay valid, and write back', async () => {
    const { port, next } = await adoptingServer();
    const client = net.connect(port, '127.0.0.1');
    const conn = await next();
    const total = 3 * 1024 * 1024;
    // every chunk is kept across later reads until the end: each is its own copy
    const all = received(conn, total);
    const sent = Buffer.alloc(total);
    for (let i = 0; i < total; i++) sent[i] = (i * 7 + (i >> 11)) & 0xff;
    client.write(sent);
    expect((await all).equals(sent)).toBe(true);
    const echoed = once(client, 'data');
    conn.socket.write('ok');
    expect(String((await echoed)[0])).toBe('ok');
    client.destroy();
  });

  it('stop reading while paused and read the rest once resumed', async () => {
    const { port, next } = await adoptingServer();
    const client = net.connect(port, '127.0.0.1');
    const conn = await next();
    const first = received(conn, 4);
    client.write('abcd');
    expect(String(await first)).toBe('abcd');
    conn.socket.pause();
    let late = 0;
    conn.inbound.to = (c) => (late += c.length);
    client.write('efgh');
    await new Promise((r) => setTimeout(r, 100));
    expect(late).toBe(0);
    const rest = received(conn, 4);
    conn.socket.resume();
    expect(String(await rest)).toBe('efgh');
    client.destroy();
  });

  it('count as the server’s open connections until they close', async () => {
    const { server, port, next } = await adoptingServer();
    const client = net.connect(port, '127.0.0.1');
    const conn = await next();
    const count = () => new Promise<number>((r, j) => server.getConnections((e, n) => (e ? j(e) : r(n))));
    expect(await count()).toBe(1);
    let closed = false;
    const serverClosed = new Promise<void>((r) => server.close(() => r())).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false); // close() waits for the adopted connection
    const ended = once(conn.socket, 'close');
    client.end();
    await ended;
    await serverClosed;
    expect(await count()).toBe(0);
  });

  it('fall back to data events for a socket whose handle cannot move', async () => {
    const { port, next } = await adoptingServer();
    const client = net.connect(port, '127.0.0.1');
    const peer = await next();
    await once(client, 'connect');
    // a connected client socket has a handle but no server: it is read in place
    const conn = adoptClient(client);
    expect(conn.socket).toBe(client);
    const got = received(conn, 5);
    peer.socket.write('hello');
    expect(String(await got)).toBe('hello');
    client.destroy();
  });
});
