// A TCP tap between the proxy and PostgreSQL that records every SQL text the proxy sends upstream
// (Query and Parse), so tests can prove nothing unclassified was forwarded.
import net from 'node:net';
import { Front, FrameReader, decodeParse, decodeQuery } from '../../../protocol/index.js';

export interface Tap {
  port: number;
  /** SQL texts seen upstream, in order */
  seen: string[];
  close(): Promise<void>;
}

export async function startTap(target: { host: string; port: number }): Promise<Tap> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    sockets.add(client).add(upstream);
    const reader = new FrameReader(1 << 30, true);
    let started = false;
    client.on('data', (chunk) => {
      try {
        reader.feed(chunk, (type, buf, s, e) => {
          if (!started) {
            started = true;
            reader.untyped = false;
            return;
          }
          if (type === Front.query) seen.push(decodeQuery(buf, s, e));
          else if (type === Front.parse) seen.push(decodeParse(buf, s, e).sql);
        });
      } catch {
        seen.push('<<unparseable frame sent upstream>>');
      }
      upstream.write(chunk);
    });
    upstream.on('data', (d) => client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
