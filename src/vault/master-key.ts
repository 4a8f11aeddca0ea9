// The vault's master key: AIRLOCK_MASTER_KEY (base64 of 32 bytes), else a key file created on first
// use with mode 0600 beside the store's other local files (SQLite: `<db>.master-key`; PostgreSQL:
// under AIRLOCK_STATE_DIR or ~/.airlock). AIRLOCK_MASTER_KEY_FILE names the file explicitly.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { configError } from '../errors.js';
import { statePrefix } from '../store/state-prefix.js';

export interface MasterKey {
  key: Buffer;
  /** where it came from: "AIRLOCK_MASTER_KEY" or the file's path */
  source: string;
  /** the key file was created just now (say where, once) */
  created: boolean;
}

function decode(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw configError(`${where} must be the base64 of 32 random bytes (e.g. \`openssl rand -base64 32\`)`);
  return key;
}

export function masterKeyFile(storeUrl: string, schema?: string): string | null {
  if (process.env.AIRLOCK_MASTER_KEY_FILE) return process.env.AIRLOCK_MASTER_KEY_FILE;
  const prefix = statePrefix(storeUrl, schema);
  return prefix ? `${prefix}.master-key` : null;
}

/** The master key; `create` makes the key file when there is none (commands that only read never do). */
export function loadMasterKey(storeUrl: string, schema: string | undefined, create: boolean): MasterKey | null {
  if (process.env.AIRLOCK_MASTER_KEY)
    return { key: decode(process.env.AIRLOCK_MASTER_KEY, 'AIRLOCK_MASTER_KEY'), source: 'AIRLOCK_MASTER_KEY', created: false };
  const file = masterKeyFile(storeUrl, schema);
  if (!file) return create ? { key: randomBytes(32), source: 'memory', created: false } : null;
  if (existsSync(file)) return { key: decode(readFileSync(file, 'utf8'), `master key file ${file}`), source: file, created: false };
  if (!create) return null;
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return { key: decode(readFileSync(file, 'utf8'), `master key file ${file}`), source: file, created: true };
  } catch (err) {
    // another process created it first
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadMasterKey(storeUrl, schema, false);
    throw err;
  }
}
