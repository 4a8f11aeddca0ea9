// Reviewer passwords, hashed with scrypt from node:crypto (memory-hard, in the standard library,
// no native add-on). The stored string names its parameters, so they can be raised later and old
// hashes still verify.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { invalidParameterValue } from '../errors.js';

/** log2 of the CPU/memory cost: 2^15 * 8 * 128 bytes = 32 MiB and ~50-100 ms per hash. */
const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
export const MIN_PASSWORD_CHARS = 8;
export const MAX_PASSWORD_CHARS = 1024;

const derive = (password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> => {
  const opts: ScryptOptions = { N: 2 ** logN, r, p, maxmem: 2 * 128 * r * 2 ** logN + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
};

/** Refuse passwords that are too short to be worth hashing or too long to hash cheaply. */
export function checkPasswordShape(password: unknown): string {
  if (typeof password !== 'string') throw invalidParameterValue('password must be text');
  if ([...password].length < MIN_PASSWORD_CHARS)
    throw invalidParameterValue(`password must have at least ${MIN_PASSWORD_CHARS} characters`);
  if (password.length > MAX_PASSWORD_CHARS) throw invalidParameterValue(`password must have at most ${MAX_PASSWORD_CHARS} characters`);
  if (!password.isWellFormed() || password.includes('\0')) throw invalidParameterValue('password must be valid text without NUL');
  return password;
}

/** `scrypt$15$8$1$<salt>$<key>` (base64url) for a new password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(checkPasswordShape(password), salt, LOG_N, R, P);
  return ['scrypt', LOG_N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

const FORMAT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** A hash of a password nobody knows: unknown names cost the same time as wrong passwords. */
let dummy: Promise<string> | undefined;
export const dummyHash = (): Promise<string> => (dummy ??= hashPassword(randomBytes(24).toString('base64url')));

/** Constant-time check of a password against a stored hash; false for malformed hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored);
  if (!m || typeof password !== 'string' || password.length > MAX_PASSWORD_CHARS) return false;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(m[5], 'base64url');
  const given = await derive(password, Buffer.from(m[4], 'base64url'), logN, r, p);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
