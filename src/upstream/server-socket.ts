// Where the wire proxy's raw upstream connections go: TCP, or PostgreSQL's Unix socket when the
// configured host is a socket directory (postgresql://user@/db?host=/run/postgresql), as libpq does.
// One place for every raw connection: the proxy's server connections and both cancel paths.
import net from 'node:net';

/**
 * A raw connection to a PostgreSQL server: TCP, or its Unix socket when `host` is a socket directory
 * (as libpq reads a host that starts with a slash: the socket is `<dir>/.s.PGSQL.<port>`).
 */
export function connectServer(host: string, port: number): net.Socket {
  return host.startsWith('/') ? net.connect({ path: `${host}/.s.PGSQL.${port}` }) : net.connect({ host, port });
}

/** How a server address reads in messages: host:port, or the socket's path. */
export const serverAddress = (host: string, port: number) => (host.startsWith('/') ? `${host}/.s.PGSQL.${port}` : `${host}:${port}`);
