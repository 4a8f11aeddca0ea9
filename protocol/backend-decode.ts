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

/** One column of a RowDescription. */
export interface RowField {
  name: string;
  /** the column's relation OID and attribute number; 0 when it is not a plain column */
  tableID: number;
  columnID: number;
  dataTypeID: number;
  /** 0 text, 1 binary */
  format: number;
}

export function decodeRowDescription(buf: Buffer, start: number, end: number): RowField[] {
  const cur = bodyCursor(buf, start, end);
  const n = cur.int16();
  const out: RowField[] = [];
  for (let i = 0; i < n; i++) {
    const name = cur.cstring();
    const tableID = cur.int32() >>> 0;
    const columnID = cur.int16();
    const dataTypeID = cur.int32() >>> 0;
    cur.int16(); // type size
    cur.int32(); // type modifier
    out.push({ name, tableID, columnID, dataTypeID, format: cur.int16() });
  }
  return out;
}

/**
 * A DataRow with some values replaced: `replace(i, value)` gets each column's bytes (null for SQL
 * NULL) and returns the new text, null for NULL, or undefined to keep the value as it is.
 */
export function rewriteDataRow(
  buf: Buffer,
  start: number,
  end: number,
  replace: (i: number, value: Buffer | null) => string | null | undefined,
): Buffer {
  const cur = bodyCursor(buf, start, end);
  const n = cur.int16();
  // one pass to find the values and their replacements, then one buffer written once
  const from = new Int32Array(n);
  const to = new Int32Array(n);
  const next: (Buffer | null | undefined)[] = new Array(n);
  let size = 7;
  for (let i = 0; i < n; i++) {
    from[i] = cur.pos;
    const len = cur.int32();
    const value = len < 0 ? null : cur.bytes(len);
    to[i] = cur.pos;
    const r = replace(i, value);
    next[i] = r === undefined ? undefined : r === null ? null : Buffer.from(r, 'utf8');
    size += r === undefined ? to[i] - from[i] : 4 + (next[i]?.length ?? 0);
  }
  const out = Buffer.allocUnsafe(size);
  buf.copy(out, 0, start, start + 7);
  out.writeInt32BE(size - 1, 1);
  let pos = 7;
  for (let i = 0; i < n; i++) {
    const r = next[i];
    if (r === undefined) pos += buf.copy(out, pos, from[i], to[i]);
    else if (r === null) pos = out.writeInt32BE(-1, pos);
    else {
      pos = out.writeInt32BE(r.length, pos);
      pos += r.copy(out, pos);
    }
  }
  return out;
}
