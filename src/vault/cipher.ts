// AES-256-GCM for vault secrets (node:crypto): a fresh 96-bit nonce per value and the secret's name
// as associated data (a ciphertext copied to another name does not decrypt). The master key is
// checked once at start by opening a known value, so a wrong key is a clear error before anything
// is read or written.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface Sealed {
  ciphertext: string;
  iv: string;
  tag: string;
}

const KEY_CHECK_NAME = '\u0000airlock-key-check';
const KEY_CHECK_TEXT = 'airlock vault key check v1';

export function seal(key: Buffer, name: string, plaintext: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { ciphertext: body.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** The plaintext, or null when the key or the name does not match (or the value was altered). */
export function unseal(key: Buffer, name: string, s: Sealed): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'));
    decipher.setAAD(Buffer.from(name, 'utf8'));
    decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(s.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

export const keyCheck = (key: Buffer) => JSON.stringify(seal(key, KEY_CHECK_NAME, KEY_CHECK_TEXT));

export function keyMatches(key: Buffer, check: string): boolean {
  try {
    return unseal(key, KEY_CHECK_NAME, JSON.parse(check) as Sealed) === KEY_CHECK_TEXT;
  } catch {
    return false;
  }
}
