// Child process of bench/wire.ts: the cheapest possible PostgreSQL proxy written in Node — each
// client socket piped byte for byte to its own upstream socket, no parsing, no pooling, no policy,
// no audit. Its pgbench numbers are the ceiling for any proxy built on Node's net module on this
// machine, so the bench can show how much of the gap to pgbouncer is Airlock's and how much is Node's.
// Prints one JSON line {port}, then serves until killed.
import net from 'node:net';
import { connectServer } from '../src/upstream/server-socket.js';
import { parseUpstreamUrl } from '../src/upstream/url.js';

if (!process.argv[2]) throw new Error('usage: node-pipe.ts postgresql://user@host:port/db');
// the same reading of the URL as Airlock's (?host=/dir: PostgreSQL's Unix socket in that directory)
const { host = '127.0.0.1', port = 5432 } = parseUpstreamUrl(process.argv[2]).base;

const server = net.createServer((client) => {
  client.setNoDelay(true);
  const server = connectServer(host, port).setNoDelay(true);
  client.pipe(server).pipe(client);
  const end = () => (client.destroy(), server.destroy());
  client.on('error', end).on('close', end);
  server.on('error', end).on('close', end);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as net.AddressInfo).port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
