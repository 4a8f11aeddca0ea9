// Where the wire proxy's raw upstream connections go: TCP, or PostgreSQL's Unix socket when the
// configured host is a socket directory (postgresql://user@/db?host=/run/postgresql), as libpq does;
// and TLS on top when the upstream URL's sslmode asks for it. One place for every raw connection:
// the proxy's server connections and both cancel paths.
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import { cancelMessage, sslRequestMessage } from '../../protocol/index.js';
import { upstreamUnavailable } from '../errors.js';
import { onreadInto, type Inbound } from '../domain/inbound.js';
import type { SslMode } from './url.js';

/** The server's Unix socket when `host` is a socket directory (libpq reads a host that starts with a slash so), else null. */
const socketPath = (host: string, port: number) => (host.startsWith('/') ? `${host}/.s.PGSQL.${port}` : null);

/** A raw connection to a PostgreSQL server: TCP, or its Unix socket when `host` is a socket directory. */
export function connectServer(host: string, port: number): net.Socket {
  const path = socketPath(host, port);
  return path ? net.connect({ path }) : net.connect({ host, port });
}

/** Like connectServer, but every read goes straight to `inbound` (Node's `onread`; pause() and resume() still work). */
export function connectServerReading(host: string, port: number, inbound: Inbound): net.Socket {
  const onread = onreadInto(inbound);
  const path = socketPath(host, port);
  return path ? net.connect({ path, onread }) : net.connect({ host, port, onread });
}

/** A CancelRequest for backend (pid, secret), over its own short connection as libpq sends it; errors are dropped. */
export function sendCancel(host: string, port: number, pid: number, secret: number): void {
  const s = connectServer(host, port);
  s.on('error', () => s.destroy());
  s.on('connect', () => s.end(cancelMessage(pid, secret)));
}

/** How a server address reads in messages: host:port, or the socket's path. */
export const serverAddress = (host: string, port: number) => socketPath(host, port) ?? `${host}:${port}`;

/** Whether a connection in this mode starts with an SSLRequest at all. */
export const wantsTls = (mode: SslMode | null | undefined): mode is SslMode => !!mode && mode !== 'disable';

/**
 * A connection to the server already in TLS, or refused. Every mode but disable is read as the pg pools
 * behind the other doors read it (node-postgres): TLS or nothing, so one URL never gives one door an
 * encrypted connection and another a plain one. prefer and allow therefore do not fall back to plain
 * text as in libpq; a server without TLS needs sslmode=disable. require, prefer, allow and no-verify
 * encrypt without checking the certificate (as libpq's require); verify-ca checks it against the
 * system's CAs, verify-full the host name too.
 */
export function openTlsServer(host: string, port: number, mode: SslMode, timeoutMs: number): Promise<net.Socket> {
  const where = serverAddress(host, port);
  return new Promise((resolve, reject) => {
    const raw = connectServer(host, port);
    let done = false;
    const finish = (err: Error | null, socket?: net.Socket) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      raw.off('data', onByte);
      if (err) {
        raw.destroy();
        reject(err);
      } else resolve(socket!);
    };
    // the details go to the log; an agent is told only that the upstream is unavailable (08006)
    const fail = (why: string) => finish(upstreamUnavailable({ upstream: where, err: why }));
    const timer = setTimeout(() => fail(`no answer to SSLRequest within ${timeoutMs} ms`), timeoutMs);
    raw.once('error', (err) => fail(err.message));
    raw.once('connect', () => raw.write(sslRequestMessage));
    const onByte = (chunk: Buffer) => {
      raw.off('data', onByte);
      const answer = chunk[0];
      // a server may not send anything after its one byte before the client speaks (CVE-2021-23214)
      if (chunk.length > 1) return fail('sent more than one byte after SSLRequest');
      if (answer === 0x4e /* N */) {
        const lax =
          mode === 'prefer' || mode === 'allow'
            ? ' (read as require, as the pg pools read it; sslmode=disable for a server without TLS)'
            : '';
        return fail(`does not support SSL, and upstream.url asks for sslmode=${mode}${lax}`);
      }
      if (answer !== 0x53 /* S */) return fail(`answered SSLRequest with byte ${answer}`);
      const verify = mode === 'verify-ca' || mode === 'verify-full';
      const secure = tls.connect({
        socket: raw,
        servername: host.startsWith('/') || isIP(host) ? undefined : host,
        rejectUnauthorized: verify,
        ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
      });
      secure.once('secureConnect', () => {
        secure.off('error', onTlsError);
        finish(null, secure);
      });
      const onTlsError = (err: Error) => fail(`TLS: ${err.message}`);
      secure.once('error', onTlsError);
    };
    raw.on('data', onByte);
  });
}
