// Child process of bench/wire.ts: the cheapest possible PostgreSQL proxy written in Node — each
// client socket piped byte for byte to its own upstream socket, no parsing, no pooling, no policy,
// no audit. Its pgbench numbers are the ceiling for any proxy built on Node's net module on this
// machine, so the bench can show how much of the gap to pgbouncer is Airlock's and how much is Node's.
// Prints one JSON line {port}, then serves until killed.
import net from 'node:net';

const upstream = new URL(process.argv[2] ?? '');
if (!upstream.hostname) throw new Error('usage: node-pipe.ts postgresql://user@host:port/db');

const server = net.createServer((client) => {
  client.setNoDelay(true);
  // ?host=/dir: PostgreSQL's Unix socket in that directory, as libpq reads it
  const dir = upstream.searchParams.get('host');
  const port = Number(upstream.port || 5432);
  const server = dir?.startsWith('/')
    ? net.connect({ path: `${dir}/.s.PGSQL.${port}` })
    : net.connect({ host: upstream.hostname, port, noDelay: true });
  client.pipe(server).pipe(client);
  const end = () => (client.destroy(), server.destroy());
  client.on('error', end).on('close', end);
  server.on('error', end).on('close', end);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as net.AddressInfo).port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
