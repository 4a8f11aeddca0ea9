// A raw protocol client for tests that need exact bytes: startup, SCRAM, then frames in and out.
import net from 'node:net';
import {
  FrameReader,
  ScramClient,
  startupMessage,
  decodeAuth,
  decodeNotice,
  saslInitialMessage,
  saslResponseMessage,
} from '../../../protocol/index.js';

export interface RawFrame {
  type: string;
  body: Buffer;
}

export class RawClient {
  readonly frames: RawFrame[] = [];
  closed = false;
  private waiters: (() => void)[] = [];
  private readonly reader = new FrameReader(1 << 30);

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.reader.feed(chunk, (type, buf, s, e) =>
        this.frames.push({ type: String.fromCharCode(type), body: Buffer.from(buf.subarray(s + 5, e)) }),
      );
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  /** Connects and authenticates; resolves after the first ReadyForQuery. */
  static async login(port: number, user: string, token: string, database: string, extra: Record<string, string> = {}): Promise<RawClient> {
    const c = await RawClient.connect(port);
    c.send(startupMessage({ user, database, ...extra }));
    const scram = new ScramClient(token);
    const sasl = await c.next('R');
    if (decodeAuth(Buffer.concat([Buffer.from('R\0\0\0\0'), sasl.body]), 0, sasl.body.length + 5).code !== 10)
      throw new Error('expected SASL');
    c.send(saslInitialMessage('SCRAM-SHA-256', scram.clientFirst));
    const cont = await c.next('R');
    c.send(saslResponseMessage(scram.final(cont.body.subarray(4).toString())));
    await c.next('Z');
    return c;
  }

  send(b: Buffer | string): void {
    this.socket.write(b);
  }

  /** Waits for (and removes up to) the next frame of this type; throws on ErrorResponse when asked. */
  async next(type: string, timeoutMs = 5000): Promise<RawFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => f.type === type || f.type === 'E');
      if (i >= 0) {
        const f = this.frames.splice(0, i + 1)[i];
        if (f.type === 'E' && type !== 'E') throw Object.assign(new Error(errorText(f)), { fields: fields(f) });
        return f;
      }
      if (this.closed) throw new Error(`connection closed while waiting for ${type}`);
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${type}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Frames up to and including the next ReadyForQuery. */
  async untilReady(timeoutMs = 5000): Promise<RawFrame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => f.type === 'Z');
      if (i >= 0) return this.frames.splice(0, i + 1);
      if (this.closed) throw new Error('connection closed while waiting for ReadyForQuery');
      if (Date.now() > deadline) throw new Error('timeout waiting for ReadyForQuery');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Resolves when the server closes the connection (or after the timeout with false). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

export const fields = (f: RawFrame) =>
  decodeNotice(Buffer.concat([Buffer.from([f.type.charCodeAt(0), 0, 0, 0, 0]), f.body]), 0, f.body.length + 5);
export const errorText = (f: RawFrame) => {
  const x = fields(f);
  return `${x.C}: ${x.M}`;
};
