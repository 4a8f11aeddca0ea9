// Splits a byte stream into protocol frames without concatenating chunks.
// Frames wholly inside a chunk are returned as views of that chunk (zero copy); only a frame that
// straddles chunks is assembled, in one growing buffer per connection. No I/O here.
import { MAX_STARTUP_PACKET } from './constants.js';

export const FrameErrorKind = { tooLarge: 'too-large', badLength: 'bad-length' } as const;
export type FrameErrorKind = (typeof FrameErrorKind)[keyof typeof FrameErrorKind];

export class FrameError extends Error {
  constructor(
    readonly kind: FrameErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Receives one frame: `buf[start..end)` is the whole frame (type byte, if any, and length included).
 * `type` is the message type char code, or 0 for an untyped startup-phase packet.
 * `buf` stays valid after the call (chunks are never reused), so frames may be kept or forwarded.
 */
export type FrameSink = (type: number, buf: Buffer, start: number, end: number) => void;

const INITIAL_PARTIAL = 16 * 1024;

export class FrameReader {
  /** untyped packets (startup phase) when true: int32 length first, no type byte */
  untyped: boolean;
  private partial: Buffer | null = null;
  private partialLen = 0;
  /** full frame length of the frame being assembled, or -1 while its header is incomplete */
  private partialNeed = -1;

  constructor(
    readonly maxMessageBytes: number,
    untyped = false,
  ) {
    this.untyped = untyped;
  }

  /** Bytes of an incomplete frame held back; lets callers time out slow senders. */
  get pendingBytes(): number {
    return this.partialLen;
  }

  /** Feeds one chunk; calls `sink` for every complete frame, in order. Throws FrameError. */
  feed(chunk: Buffer, sink: FrameSink): void {
    let pos = 0;
    if (this.partialLen > 0) {
      pos = this.fillPartial(chunk, sink);
      if (pos < 0) return;
    }
    const n = chunk.length;
    // walk complete frames in place; the caller may flip `untyped` from the sink
    for (;;) {
      const head = this.untyped ? 4 : 5;
      if (n - pos < head) break;
      const len = this.frameLength(chunk, pos);
      if (n - pos < len) break;
      sink(this.untyped ? 0 : chunk[pos], chunk, pos, pos + len);
      pos += len;
    }
    if (pos < n) this.startPartial(chunk, pos);
  }

  /** Total frame length (type byte included) from a header at `pos`; validates the claimed size. */
  private frameLength(buf: Buffer, pos: number): number {
    if (this.untyped) {
      const len = buf.readInt32BE(pos);
      if (len < 8) throw new FrameError(FrameErrorKind.badLength, `invalid startup packet length ${len}`);
      if (len > MAX_STARTUP_PACKET) throw new FrameError(FrameErrorKind.tooLarge, `startup packet of ${len} bytes is too large`);
      return len;
    }
    const len = buf.readInt32BE(pos + 1);
    if (len < 4) throw new FrameError(FrameErrorKind.badLength, `invalid message length ${len}`);
    if (len + 1 > this.maxMessageBytes) {
      throw new FrameError(FrameErrorKind.tooLarge, `message of ${len} bytes exceeds the limit of ${this.maxMessageBytes}`);
    }
    return len + 1;
  }

  private startPartial(chunk: Buffer, pos: number): void {
    const rest = chunk.length - pos;
    const head = this.untyped ? 4 : 5;
    this.partialNeed = rest >= head ? this.frameLength(chunk, pos) : -1;
    this.ensure(Math.max(rest, Math.min(this.partialNeed > 0 ? this.partialNeed : 0, INITIAL_PARTIAL), 64));
    chunk.copy(this.partial!, 0, pos);
    this.partialLen = rest;
  }

  /** Appends to the frame being assembled; returns the chunk offset after it, or -1 if still incomplete. */
  private fillPartial(chunk: Buffer, sink: FrameSink): number {
    let pos = 0;
    const head = this.untyped ? 4 : 5;
    if (this.partialNeed < 0) {
      const take = Math.min(head - this.partialLen, chunk.length);
      this.ensure(this.partialLen + take);
      chunk.copy(this.partial!, this.partialLen, 0, take);
      this.partialLen += take;
      pos = take;
      if (this.partialLen < head) return -1;
      this.partialNeed = this.frameLength(this.partial!, 0);
    }
    const need = this.partialNeed - this.partialLen;
    const take = Math.min(need, chunk.length - pos);
    this.ensure(this.partialLen + take);
    chunk.copy(this.partial!, this.partialLen, pos, pos + take);
    this.partialLen += take;
    pos += take;
    if (this.partialLen < this.partialNeed) return -1;
    // complete: hand out the assembled frame and start a fresh buffer for the next one
    const frame = this.partial!;
    const len = this.partialNeed;
    this.partial = null;
    this.partialLen = 0;
    this.partialNeed = -1;
    sink(this.untyped ? 0 : frame[0], frame, 0, len);
    return pos;
  }

  /** Grows the partial buffer geometrically so a slow 60 MB message costs O(n) copies, not O(n²). */
  private ensure(size: number): void {
    if (this.partial && this.partial.length >= size) return;
    let cap = this.partial ? this.partial.length * 2 : INITIAL_PARTIAL;
    while (cap < size) cap *= 2;
    if (this.partialNeed > 0) cap = Math.min(cap, Math.max(this.partialNeed, size));
    const next = Buffer.allocUnsafe(cap);
    if (this.partial && this.partialLen > 0) this.partial.copy(next, 0, 0, this.partialLen);
    this.partial = next;
  }
}
