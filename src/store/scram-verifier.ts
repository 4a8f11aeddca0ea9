// SCRAM-SHA-256 verifiers in PostgreSQL's pg_authid format, so the wire proxy can run SCRAM
// with an agent's token as the password without the store ever keeping the token.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { invalidParameterValue } from '../errors.js';

export const SCRAM_DEFAULT_ITERATIONS = 4096;

export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** SaltedPassword = PBKDF2-HMAC-SHA256(password, salt, i) (RFC 5802 Hi()); exported for the proxy. */
export function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
}

/** The keys a SCRAM server needs, derived once at agent creation. */
export function scramKeys(password: string, salt: Buffer, iterations = SCRAM_DEFAULT_ITERATIONS): ScramVerifier {
  const salted = saltedPassword(password, salt, iterations);
  const clientKey = hmac(salted, 'Client Key');
  return {
    iterations,
    salt,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** `SCRAM-SHA-256$<iter>:<salt b64>$<StoredKey b64>:<ServerKey b64>`, as PostgreSQL stores it. */
export function makeScramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_DEFAULT_ITERATIONS): string {
  if (!Number.isInteger(iterations) || iterations < 1) throw invalidParameterValue(`bad SCRAM iteration count ${iterations}`);
  const k = scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${k.salt.toString('base64')}$${k.storedKey.toString('base64')}:${k.serverKey.toString('base64')}`;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parse a stored verifier; throws 22023 on anything malformed rather than guessing. */
export function parseScramVerifier(text: string): ScramVerifier {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(text ?? '');
  if (!m) throw invalidParameterValue('malformed SCRAM verifier');
  const [, iter, salt, stored, server] = m;
  const iterations = Number(iter);
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw invalidParameterValue('malformed SCRAM verifier: iterations');
  for (const part of [salt, stored, server]) {
    if (!B64.test(part)) throw invalidParameterValue('malformed SCRAM verifier: base64');
  }
  const v = {
    iterations,
    salt: Buffer.from(salt, 'base64'),
    storedKey: Buffer.from(stored, 'base64'),
    serverKey: Buffer.from(server, 'base64'),
  };
  if (v.storedKey.length !== 32 || v.serverKey.length !== 32 || v.salt.length === 0) {
    throw invalidParameterValue('malformed SCRAM verifier: key length');
  }
  return v;
}
