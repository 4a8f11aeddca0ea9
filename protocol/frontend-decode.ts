// Decoders for the frontend messages the proxy acts on. Everything else is forwarded as raw frames.
// Each decoder reads a frame in place (`buf[start..end)`, type byte included) and validates bounds,
// throwing DecodeError on malformed input so a bad client gets 08P01 instead of crashing the proxy.
import { isUtf8 } from 'node:buffer';

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Bounds-checked cursor over one frame. */
export class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}
  int16(): number {
    if (this.pos + 2 > this.end) throw new DecodeError('message too short');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    if (this.pos + 4 > this.end) throw new DecodeError('message too short');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  byte(): number {
    if (this.pos + 1 > this.end) throw new DecodeError('message too short');
    return this.buf[this.pos++];
  }
  cstring(): string {
    const z = this.buf.indexOf(0, this.pos);
    if (z < 0 || z >= this.end) throw new DecodeError('unterminated string in message');
    const s = this.buf.toString('utf8', this.pos, z);
    this.pos = z + 1;
    return s;
  }
  bytes(n: number): Buffer {
    if (n < 0 || this.pos + n > this.end) throw new DecodeError('message too short');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  get position(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.end - this.pos;
  }
}

/** Cursor positioned after the type byte and length of a typed frame. */
export const bodyCursor = (buf: Buffer, start: number, end: number) => new Cursor(buf, start + 5, end);

export interface StartupMessage {
  protocol: number;
  params: Record<string, string>;
}

/** Untyped startup-phase packet: returns its code (protocol version or request code). */
export const startupCode = (buf: Buffer, start: number, end: number): number => {
  if (end - start < 8) throw new DecodeError('startup packet too short');
  return buf.readInt32BE(start + 4);
};

export function decodeStartup(buf: Buffer, start: number, end: number): StartupMessage {
  const cur = new Cursor(buf, start + 4, end);
  const protocol = cur.int32();
  const params: Record<string, string> = Object.create(null);
  for (;;) {
    if (cur.remaining === 0) throw new DecodeError('startup packet is missing its terminator');
    if (buf[cur.pos] === 0) break;
    const key = cur.cstring();
    const value = cur.cstring();
    params[key] = value;
  }
  return { protocol, params };
}

export function decodeCancel(buf: Buffer, start: number, end: number): { pid: number; secret: number } {
  if (end - start !== 16) throw new DecodeError('invalid cancel request length');
  return { pid: buf.readInt32BE(start + 8), secret: buf.readInt32BE(start + 12) };
}

export function decodeQuery(buf: Buffer, start: number, end: number): string {
  const cur = bodyCursor(buf, start, end);
  const sql = cur.cstring();
  if (cur.remaining !== 0) throw new DecodeError('invalid query message');
  return sql;
}

/**
 * Decoding turns each bad UTF-8 sequence into U+FFFD, so a decoded text without one came from valid
 * UTF-8; only a text holding one (bad bytes, or a U+FFFD sent as such) needs its bytes checked. On a
 * one-byte string the search ends at once: it cannot hold U+FFFD.
 */
const REPLACEMENT = '\uFFFD';

/** Is a Query's text, decoded as `sql`, valid UTF-8? */
export const queryTextIsUtf8 = (sql: string, buf: Buffer, start: number, end: number): boolean =>
  !sql.includes(REPLACEMENT) || isUtf8(buf.subarray(start + 5, end));

export interface ParseMessage {
  name: string;
  sql: string;
  paramTypes: number[];
  /** name and text were valid UTF-8 (decoding alone turns bad bytes into U+FFFD) */
  utf8: boolean;
}

export function decodeParse(buf: Buffer, start: number, end: number): ParseMessage {
  const cur = bodyCursor(buf, start, end);
  const name = cur.cstring();
  const sql = cur.cstring();
  const utf8 = (!name.includes(REPLACEMENT) && !sql.includes(REPLACEMENT)) || isUtf8(buf.subarray(start + 5, cur.position));
  const n = cur.int16();
  if (n < 0) throw new DecodeError('invalid parameter count');
  const paramTypes: number[] = new Array(n);
  for (let i = 0; i < n; i++) paramTypes[i] = cur.int32() >>> 0;
  return { name, sql, paramTypes, utf8 };
}

export interface BindNames {
  portal: string;
  statement: string;
}

/** Only the names: enough to route a Bind whose statement is auto. */
export function decodeBindNames(buf: Buffer, start: number, end: number): BindNames {
  const cur = bodyCursor(buf, start, end);
  const portal = cur.cstring();
  const statement = cur.cstring();
  return { portal, statement };
}

export interface BindMessage extends BindNames {
  paramFormats: number[];
  /** null for SQL NULL; text parameters as strings, binary ones as Buffers */
  params: (string | Buffer | null)[];
  resultFormats: number[];
}

/** Full Bind decode, used for held statements whose parameters go to the approval. */
export function decodeBind(buf: Buffer, start: number, end: number): BindMessage {
  const cur = bodyCursor(buf, start, end);
  const portal = cur.cstring();
  const statement = cur.cstring();
  const nf = cur.int16();
  if (nf < 0) throw new DecodeError('invalid format count');
  const paramFormats: number[] = [];
  for (let i = 0; i < nf; i++) paramFormats.push(cur.int16());
  const np = cur.int16();
  if (np < 0) throw new DecodeError('invalid parameter count');
  if (nf > 1 && nf !== np) throw new DecodeError(`bind message has ${nf} parameter formats but ${np} parameters`);
  const params: (string | Buffer | null)[] = [];
  for (let i = 0; i < np; i++) {
    const len = cur.int32();
    if (len === -1) {
      params.push(null);
      continue;
    }
    const bytes = cur.bytes(len);
    const fmt = nf === 0 ? 0 : nf === 1 ? paramFormats[0] : paramFormats[i];
    params.push(fmt === 1 ? Buffer.from(bytes) : bytes.toString('utf8'));
  }
  const nr = cur.int16();
  if (nr < 0) throw new DecodeError('invalid result format count');
  const resultFormats: number[] = [];
  for (let i = 0; i < nr; i++) resultFormats.push(cur.int16());
  if (cur.remaining !== 0) throw new DecodeError('invalid bind message length');
  return { portal, statement, paramFormats, params, resultFormats };
}

export interface TargetMessage {
  /** 'S' statement or 'P' portal */
  kind: 'S' | 'P';
  name: string;
}

/** Describe and Close share a layout. */
export function decodeTarget(buf: Buffer, start: number, end: number): TargetMessage {
  const cur = bodyCursor(buf, start, end);
  const k = cur.byte();
  if (k !== 0x53 && k !== 0x50) throw new DecodeError(`invalid describe/close target '${String.fromCharCode(k)}'`);
  const name = cur.cstring();
  return { kind: k === 0x53 ? 'S' : 'P', name };
}

export function decodeExecute(buf: Buffer, start: number, end: number): { portal: string; maxRows: number } {
  const cur = bodyCursor(buf, start, end);
  const portal = cur.cstring();
  const maxRows = cur.int32();
  return { portal, maxRows };
}

export function decodeSaslInitial(buf: Buffer, start: number, end: number): { mechanism: string; data: Buffer } {
  const cur = bodyCursor(buf, start, end);
  const mechanism = cur.cstring();
  const len = cur.int32();
  const data = len < 0 ? Buffer.alloc(0) : cur.bytes(len);
  return { mechanism, data };
}

/** SASLResponse and PasswordMessage: the body as bytes. */
export const frameBody = (buf: Buffer, start: number, end: number): Buffer => buf.subarray(start + 5, end);
