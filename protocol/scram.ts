// SCRAM-SHA-256 (RFC 5802/7677) as PostgreSQL speaks it: pure functions for both sides.
// The server side checks an agent's token against a stored verifier without ever seeing it in clear.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const hmac = (key: Buffer, data: string | Buffer) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();
const xor = (a: Buffer, b: Buffer) => {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
};

export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** PostgreSQL verifier text: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>. */
export function makeVerifier(password: string, iterations = 4096, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const storedKey = sha256(hmac(salted, 'Client Key'));
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export function parseVerifier(text: string): ScramVerifier | null {
  const m = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(text);
  if (!m) return null;
  const storedKey = Buffer.from(m[3], 'base64');
  const serverKey = Buffer.from(m[4], 'base64');
  if (storedKey.length !== 32 || serverKey.length !== 32) return null;
  return { iterations: Number(m[1]), salt: Buffer.from(m[2], 'base64'), storedKey, serverKey };
}

export class ScramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramError';
  }
}

/** Server state between client-first and client-final messages. */
export interface ScramServerState {
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
  gs2Header: string;
}

/** Parses client-first-message; returns server-first-message and the state to check the proof. */
export function serverFirst(clientFirst: string, v: ScramVerifier): ScramServerState {
  // gs2-header: "n,," or "y,,"; channel binding ("p=") is not offered, so refuse it
  const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(clientFirst);
  if (!m) throw new ScramError('malformed SCRAM client-first-message');
  const gs2Header = clientFirst.slice(0, clientFirst.length - m[3].length);
  const clientFirstBare = m[3];
  const nonceMatch = /(?:^|,)r=([^,]+)/.exec(clientFirstBare);
  if (!nonceMatch || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonceMatch[1])) throw new ScramError('malformed SCRAM client nonce');
  const nonce = nonceMatch[1] + randomBytes(18).toString('base64');
  const serverFirstMsg = `r=${nonce},s=${v.salt.toString('base64')},i=${v.iterations}`;
  return { clientFirstBare, serverFirst: serverFirstMsg, nonce, gs2Header };
}

/** Verifies client-final-message; returns server-final-message or null when the proof is wrong. */
export function serverFinal(clientFinal: string, st: ScramServerState, v: ScramVerifier): string | null {
  const m = /^c=([^,]*),r=([^,]*)(?:,.*)?,p=([A-Za-z0-9+/=]+)$/.exec(clientFinal);
  if (!m) throw new ScramError('malformed SCRAM client-final-message');
  if (Buffer.from(m[1], 'base64').toString('latin1') !== st.gs2Header) throw new ScramError('SCRAM channel binding mismatch');
  if (m[2] !== st.nonce) throw new ScramError('SCRAM nonce mismatch');
  const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
  const authMessage = `${st.clientFirstBare},${st.serverFirst},${withoutProof}`;
  const proof = Buffer.from(m[3], 'base64');
  if (proof.length !== 32) return null;
  const clientSignature = hmac(v.storedKey, authMessage);
  const clientKey = xor(proof, clientSignature);
  if (!timingSafeEqual(sha256(clientKey), v.storedKey)) return null;
  return `v=${hmac(v.serverKey, authMessage).toString('base64')}`;
}

/** Client side, for upstream servers that ask for SCRAM. */
export class ScramClient {
  private readonly clientNonce = randomBytes(18).toString('base64');
  private authMessage = '';
  private serverSignature = Buffer.alloc(0);
  readonly clientFirst = `n,,n=*,r=${this.clientNonce}`;

  constructor(private readonly password: string) {}

  final(serverFirst: string): string {
    const r = /r=([^,]+)/.exec(serverFirst)?.[1];
    const s = /s=([^,]+)/.exec(serverFirst)?.[1];
    const i = Number(/i=(\d+)/.exec(serverFirst)?.[1]);
    if (!r || !s || !i || !r.startsWith(this.clientNonce)) throw new ScramError('invalid SCRAM server-first-message');
    const salted = pbkdf2Sync(this.password.normalize('NFKC'), Buffer.from(s, 'base64'), i, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = sha256(clientKey);
    const withoutProof = `c=biws,r=${r}`;
    this.authMessage = `n=*,r=${this.clientNonce},${serverFirst},${withoutProof}`;
    this.serverSignature = hmac(hmac(salted, 'Server Key'), this.authMessage);
    const proof = xor(clientKey, hmac(storedKey, this.authMessage));
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  verify(serverFinalMsg: string): void {
    const v = /v=([^,]+)/.exec(serverFinalMsg)?.[1];
    if (!v || !timingSafeEqual(Buffer.from(v, 'base64'), this.serverSignature)) throw new ScramError('invalid SCRAM server signature');
  }
}

/** md5 password response for upstreams still configured with md5. */
export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user)
    .digest('hex');
  return (
    'md5' +
    createHash('md5')
      .update(Buffer.concat([Buffer.from(inner), salt]))
      .digest('hex')
  );
}
