// Signed head checkpoints: (seq, hash) of the chain's head, signed with HMAC-SHA256 under a key the
// store does not hold, written to the store's audit_checkpoints table, to an append-only file beside
// it and (now and then) to the log. `audit verify` fails when the chain ends before a checkpoint.
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { configError } from '../errors.js';
import type { AuditCheckpoint } from '../domain/audit.js';
import type { CheckpointSigner } from '../store/store.js';

const KEY_ENV = 'AIRLOCK_AUDIT_KEY';

/**
 * The checkpoint key: AIRLOCK_AUDIT_KEY (any text of at least 32 characters), else the key file,
 * created (mode 0600) when `create` is set and it does not exist yet. null when neither exists.
 */
export function loadAuditKey(keyFile: string | null, create: boolean): Buffer | null {
  const fromEnv = process.env[KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 32) throw configError(`${KEY_ENV} must be at least 32 characters (e.g. 32 random bytes in base64)`);
    return Buffer.from(fromEnv, 'utf8');
  }
  if (!keyFile) return null;
  if (existsSync(keyFile)) {
    const text = readFileSync(keyFile, 'utf8').trim();
    if (text.length < 32) throw configError(`audit key file ${keyFile} is too short (expected 32 random bytes in base64)`);
    return Buffer.from(text, 'utf8');
  }
  if (!create) return null;
  mkdirSync(dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(keyFile, 0o600);
  return loadAuditKey(keyFile, false);
}

const macText = (c: Omit<AuditCheckpoint, 'mac'>) => `airlock-checkpoint-v1\n${c.seq}\n${c.hash}\n${c.root}\n${c.ts}`;

/** A signer for the store's append transaction. */
export function checkpointSigner(key: Buffer): CheckpointSigner {
  return (head) => ({
    ...head,
    mac: createHmac('sha256', key).update(macText(head)).digest('hex'),
  });
}

/** Does the checkpoint's signature hold under this key? */
export function checkpointValid(key: Buffer, c: AuditCheckpoint): boolean {
  const want = createHmac('sha256', key).update(macText(c)).digest();
  const got = Buffer.from(typeof c.mac === 'string' ? c.mac : '', 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Append one checkpoint to the file (JSON lines); never throws: the table has it too. */
export function appendCheckpointFile(file: string | null, c: AuditCheckpoint): boolean {
  if (!file) return false;
  try {
    appendFileSync(file, JSON.stringify({ seq: c.seq, hash: c.hash, root: c.root, ts: c.ts, mac: c.mac }) + '\n', { mode: 0o600 });
    return true;
  } catch {
    return false;
  }
}

/** Every well-formed checkpoint in the file ([] when there is none). */
export function readCheckpointFile(file: string | null): AuditCheckpoint[] {
  if (!file || !existsSync(file)) return [];
  const out: AuditCheckpoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const c = JSON.parse(line) as AuditCheckpoint;
      if (
        Number.isInteger(c.seq) &&
        typeof c.hash === 'string' &&
        typeof c.root === 'string' &&
        Number.isFinite(c.ts) &&
        typeof c.mac === 'string'
      )
        out.push(c);
    } catch {
      // a torn last line after a crash: ignored
    }
  }
  return out;
}
