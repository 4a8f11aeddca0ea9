// Encoders for the server (backend) messages the proxy writes itself. pg-protocol only
// serializes frontend messages, so these are ours. Frequent frames are precomputed once.
import { AuthCode, Back } from './constants.js';

/** Builds a frame: type byte, int32 length, then body. */
export function frame(type: number, body: Buffer | null): Buffer {
  const n = body ? body.length : 0;
  const out = Buffer.allocUnsafe(5 + n);
  out[0] = type;
  out.writeInt32BE(4 + n, 1);
  if (body) body.copy(out, 5);
  return out;
}

const cstr = (s: string) => Buffer.from(s + '\0', 'utf8');
const int32 = (v: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(v);
  return b;
};

export const readyForQuery = {
  I: frame(Back.readyForQuery, Buffer.from('I')),
  T: frame(Back.readyForQuery, Buffer.from('T')),
  E: frame(Back.readyForQuery, Buffer.from('E')),
} as const;
export const rfqFor = (status: number): Buffer => (status === 0x54 ? readyForQuery.T : status === 0x45 ? readyForQuery.E : readyForQuery.I);

export const parseComplete = frame(Back.parseComplete, null);
export const bindComplete = frame(Back.bindComplete, null);
export const closeComplete = frame(Back.closeComplete, null);
export const noData = frame(Back.noData, null);
export const emptyQueryResponse = frame(Back.emptyQuery, null);
export const authOk = frame(Back.authentication, int32(AuthCode.ok));
export const authCleartext = frame(Back.authentication, int32(AuthCode.cleartext));

export function authSasl(mechanisms: string[]): Buffer {
  return frame(Back.authentication, Buffer.concat([int32(AuthCode.sasl), ...mechanisms.map(cstr), Buffer.from([0])]));
}
export const authSaslContinue = (data: string) =>
  frame(Back.authentication, Buffer.concat([int32(AuthCode.saslContinue), Buffer.from(data, 'utf8')]));
export const authSaslFinal = (data: string) =>
  frame(Back.authentication, Buffer.concat([int32(AuthCode.saslFinal), Buffer.from(data, 'utf8')]));

export const parameterStatus = (name: string, value: string) => frame(Back.parameterStatus, Buffer.concat([cstr(name), cstr(value)]));

export function backendKeyData(pid: number, secret: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeInt32BE(pid, 0);
  b.writeInt32BE(secret, 4);
  return frame(Back.backendKeyData, b);
}

/** Fields of ErrorResponse / NoticeResponse, keyed by their one-letter codes. */
export interface NoticeFields {
  severity: string; // ERROR, FATAL, NOTICE...
  code: string; // SQLSTATE
  message: string;
  detail?: string;
  hint?: string;
}

function noticeBody(f: NoticeFields): Buffer {
  const parts: Buffer[] = [cstr('S' + f.severity), cstr('V' + f.severity), cstr('C' + f.code), cstr('M' + f.message)];
  if (f.detail) parts.push(cstr('D' + f.detail));
  if (f.hint) parts.push(cstr('H' + f.hint));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export const errorResponse = (f: Omit<NoticeFields, 'severity'> & { severity?: 'ERROR' | 'FATAL' }) =>
  frame(Back.errorResponse, noticeBody({ severity: 'ERROR', ...f }));
export const noticeResponse = (f: Omit<NoticeFields, 'severity'> & { severity?: string }) =>
  frame(Back.noticeResponse, noticeBody({ severity: 'NOTICE', ...f }));

export const commandComplete = (tag: string) => frame(Back.commandComplete, cstr(tag));

export function parameterDescription(types: number[]): Buffer {
  const b = Buffer.allocUnsafe(2 + 4 * types.length);
  b.writeInt16BE(types.length, 0);
  types.forEach((t, i) => b.writeUInt32BE(t >>> 0, 2 + 4 * i));
  return frame(Back.parameterDescription, b);
}

/** RowDescription in text format; table/column ids unknown (0), type size/modifier -1. */
export function rowDescription(fields: { name: string; dataTypeID: number }[]): Buffer {
  const parts: Buffer[] = [Buffer.from([fields.length >> 8, fields.length & 0xff])];
  for (const f of fields) {
    const meta = Buffer.allocUnsafe(18);
    meta.writeInt32BE(0, 0); // table oid
    meta.writeInt16BE(0, 4); // column attnum
    meta.writeUInt32BE(f.dataTypeID >>> 0, 6);
    meta.writeInt16BE(-1, 10); // type size
    meta.writeInt32BE(-1, 12); // type modifier
    meta.writeInt16BE(0, 16); // text format
    parts.push(cstr(f.name), meta);
  }
  return frame(Back.rowDescription, Buffer.concat(parts));
}

/** DataRow from already-textual values (null → SQL NULL). */
export function dataRow(values: (string | null)[]): Buffer {
  const parts: Buffer[] = [Buffer.from([values.length >> 8, values.length & 0xff])];
  for (const v of values) {
    if (v === null) {
      parts.push(int32(-1));
    } else {
      const bytes = Buffer.from(v, 'utf8');
      parts.push(int32(bytes.length), bytes);
    }
  }
  return frame(Back.dataRow, Buffer.concat(parts));
}
