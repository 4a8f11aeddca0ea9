// The vault: integration credentials encrypted with AES-256-GCM under a master key kept outside the
// store (see master-key.ts). Values go in by `airlock vault set` (stdin) and out only to the API
// sender, which injects them server-side; every value read is registered for scrubbing, so it never
// reaches a log line, an audit event, an error or an answer. Opening checks the master key against
// the store's key check first: a wrong key is a clear error that changes nothing.
import type { Store } from '../store/store.js';
import type { Auditor } from '../domain/audit.js';
import { registerSecret } from '../domain/secret-values.js';
import { configError, invalidParameterValue, undefinedObject } from '../errors.js';
import { keyCheck, keyMatches, seal, unseal } from './cipher.js';
import { loadMasterKey, type MasterKey } from './master-key.js';

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
const MAX_VALUE_BYTES = 64 * 1024;
/** a decrypted value is reused this long (a change made by another process is seen after it) */
const CACHE_MS = 5000;

export interface VaultEntry {
  name: string;
  createdAt: number;
  updatedAt: number;
}

export class Vault {
  private constructor(
    private readonly store: Store,
    private readonly audit: Auditor,
    private master: MasterKey | null,
    private readonly where: { storeUrl: string; schema?: string },
  ) {}

  private readonly cache = new Map<string, { value: string; until: number }>();

  /**
   * Open the vault of a store. `create` makes the master key file when there is none (vault set);
   * serving only reads. Throws when the key does not open this store's secrets.
   */
  static async open(store: Store, audit: Auditor, where: { storeUrl: string; schema?: string; create: boolean }): Promise<Vault> {
    const master = loadMasterKey(where.storeUrl, where.schema, where.create);
    const check = await store.getVaultKeyCheck();
    if (check !== null) {
      if (!master)
        throw configError(`the vault has secrets but no master key was found: set AIRLOCK_MASTER_KEY or AIRLOCK_MASTER_KEY_FILE`);
      if (!keyMatches(master.key, check)) {
        throw configError(
          `the master key from ${master.source} does not open this store's vault (it was encrypted under another key); nothing was changed — set AIRLOCK_MASTER_KEY to the original key`,
        );
      }
    }
    return new Vault(store, audit, master, where);
  }

  /** where the master key came from, and whether its file was created now (say so once) */
  get keySource(): { source: string; created: boolean } | null {
    return this.master ? { source: this.master.source, created: this.master.created } : null;
  }

  /** The master key; one created after this process started (the first `airlock vault set`) is found then. */
  private key(): Buffer {
    this.master ??= loadMasterKey(this.where.storeUrl, this.where.schema, false);
    if (!this.master) throw configError('no vault master key: run `airlock vault set` once, or set AIRLOCK_MASTER_KEY');
    return this.master.key;
  }

  async set(name: string, value: string, by = 'cli'): Promise<void> {
    if (!NAME.test(name))
      throw invalidParameterValue(`invalid secret name ${JSON.stringify(name)}: letters, digits, _ . - (starting with a letter)`);
    if (value.length === 0) throw invalidParameterValue('the secret is empty');
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw invalidParameterValue(`the secret is longer than ${MAX_VALUE_BYTES} bytes`);
    const key = this.key();
    // the first secret records the key check; a concurrent first writer with another key loses here
    if (!keyMatches(key, await this.store.setVaultKeyCheck(keyCheck(key)))) {
      throw configError('another master key was recorded for this store meanwhile; nothing was changed');
    }
    await this.store.putSecret({ name, ...seal(key, name, value) });
    this.cache.delete(name);
    this.audit.append({ type: 'vault.set', door: by === 'cli' ? 'cli' : 'rest', data: { secret: name, by } });
  }

  /** The plaintext (registered for scrubbing); 404 when there is no such secret. */
  async get(name: string): Promise<string> {
    const hit = this.cache.get(name);
    if (hit && hit.until > Date.now()) return hit.value;
    const row = await this.store.getSecret(name);
    if (!row) throw undefinedObject(`the vault has no secret "${name}" (airlock vault set ${name})`);
    const value = unseal(this.key(), name, row);
    if (value === null) throw configError(`vault secret "${name}" does not decrypt under the master key (altered, or another key)`);
    registerSecret(value);
    this.cache.set(name, { value, until: Date.now() + CACHE_MS });
    return value;
  }

  list(): Promise<VaultEntry[]> {
    return this.store.listSecrets();
  }

  async delete(name: string, by = 'cli'): Promise<boolean> {
    const gone = await this.store.deleteSecret(name);
    this.cache.delete(name);
    if (gone) this.audit.append({ type: 'vault.deleted', door: 'cli', data: { secret: name, by } });
    return gone;
  }
}
