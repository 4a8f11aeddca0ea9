// Decoders for the server messages the proxy inspects (startup, auth, errors, parameter status).
// Result rows and everything else are forwarded without decoding.
import { Cursor, bodyCursor } from './frontend-decode.js';

export function decodeAuth(buf: Buffer, start: number, end: number): { code: number; data: Buffer } {
  const cur = bodyCursor(buf, start, end);
  const code = cur.int32();
  return { code, data: buf.subarray(cur.pos, end) };
}

export function decodeParameterStatus(buf: Buffer, start: number, end: number): { name: string; value: string } {
  const cur = bodyCursor(buf, start, end);
  return { name: cur.cstring(), value: cur.cstring() };
}

export function decodeBackendKey(buf: Buffer, start: number, end: number): { pid: number; secret: number } {
  const cur = bodyCursor(buf, start, end);
  return { pid: cur.int32(), secret: cur.int32() };
}

/** ErrorResponse / NoticeResponse fields by their one-letter code (S, C, M, D, H...). */
export function decodeNotice(buf: Buffer, start: number, end: number): Record<string, string> {
  const cur: Cursor = bodyCursor(buf, start, end);
  const out: Record<string, string> = {};
  while (cur.remaining > 0) {
    const code = cur.byte();
    if (code === 0) break;
    out[String.fromCharCode(code)] = cur.cstring();
  }
  return out;
}

/** Status byte of ReadyForQuery. */
export const rfqStatus = (buf: Buffer, start: number): number => buf[start + 5];
