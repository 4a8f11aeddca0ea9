// Encoders for the frontend messages the proxy itself sends upstream (startup, auth, internal queries).
// pg-protocol's serializer covers most; startup is ours because it always appends client_encoding.
import { serialize } from 'pg-protocol';

export function startupMessage(params: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(params)) parts.push(Buffer.from(`${k}\0${v}\0`, 'utf8'));
  parts.push(Buffer.from([0]));
  const body = Buffer.concat(parts);
  const out = Buffer.allocUnsafe(8 + body.length);
  out.writeInt32BE(8 + body.length, 0);
  out.writeInt32BE(196608, 4);
  body.copy(out, 8);
  return out;
}

export const syncMessage: Buffer = Buffer.from(serialize.sync());
export const flushMessage: Buffer = Buffer.from(serialize.flush());
export const terminateMessage: Buffer = Buffer.from(serialize.end());
export const queryMessage = (sql: string): Buffer => Buffer.from(serialize.query(sql));
export const passwordMessage = (pw: string): Buffer => Buffer.from(serialize.password(pw));
export const saslInitialMessage = (mech: string, data: string): Buffer => Buffer.from(serialize.sendSASLInitialResponseMessage(mech, data));
export const saslResponseMessage = (data: string): Buffer => Buffer.from(serialize.sendSCRAMClientFinalMessage(data));
export const cancelMessage = (pid: number, secret: number): Buffer => Buffer.from(serialize.cancel(pid, secret));
/** SSLRequest: the server answers one byte, S (go on in TLS) or N */
export const sslRequestMessage: Buffer = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
export const describePortalMessage = (portal: string): Buffer => Buffer.from(serialize.describe({ type: 'P', name: portal }));
