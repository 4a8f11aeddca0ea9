// A minimal SMTP server on 127.0.0.1:0 that accepts every message and keeps it: enough of
// RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for nodemailer to deliver to it.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SunkMail {
  from: string;
  to: string[];
  /** the raw message (headers and body), dot-unstuffed */
  data: string;
}

export interface SmtpSink {
  port: number;
  mails: SunkMail[];
  close(): Promise<void>;
}

function session(socket: Socket, mails: SunkMail[]): void {
  let buf = '';
  let mail: SunkMail = { from: '', to: [], data: '' };
  let inData = false;
  const say = (line: string) => socket.write(`${line}\r\n`);
  say('220 sink ESMTP');
  socket.on('data', (chunk) => {
    buf += chunk.toString('utf8');
    for (;;) {
      if (inData) {
        const end = buf.indexOf('\r\n.\r\n');
        if (end < 0) return;
        mail.data = buf.slice(0, end).replace(/\r\n\.\./g, '\r\n.');
        buf = buf.slice(end + 5);
        mails.push(mail);
        mail = { from: '', to: [], data: '' };
        inData = false;
        say('250 OK queued');
        continue;
      }
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 2);
      const verb = line.slice(0, 4).toUpperCase();
      const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
      if (verb === 'MAIL') mail.from = address;
      if (verb === 'RCPT') mail.to.push(address);
      if (verb === 'DATA') inData = true;
      say(verb === 'EHLO' || verb === 'HELO' ? '250 sink' : verb === 'DATA' ? '354 go ahead' : verb === 'QUIT' ? '221 bye' : '250 OK');
      if (verb === 'QUIT') socket.end();
    }
  });
  socket.on('error', () => undefined);
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: SunkMail[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    session(s, mails);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    mails,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
