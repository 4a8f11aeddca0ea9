// Vault rows in portable SQL (both dialects): ciphertexts, nonces and tags only — encryption happens
// above, in src/vault, so the store never sees a plaintext secret or the master key.
import { z } from 'zod';
import { invalidParameterValue } from '../errors.js';
import { formatIssues } from '../domain/issues.js';
import type { Row, SqlExec } from './sql-driver.js';
import type { NewSecret, SecretRecord } from './store.js';

const secretSchema = z.object({ name: z.string().min(1).max(200), ciphertext: z.string(), iv: z.string(), tag: z.string() });

const rowToSecret = (r: Row): SecretRecord => ({
  name: String(r.name),
  ciphertext: String(r.ciphertext),
  iv: String(r.iv),
  tag: String(r.tag),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export async function putSecret(db: SqlExec, secret: NewSecret): Promise<void> {
  const r = secretSchema.safeParse(secret);
  if (!r.success) throw invalidParameterValue(`invalid secret: ${formatIssues(r.error.issues)}`);
  const s = r.data;
  const now = Date.now();
  await db.run(
    `INSERT INTO vault_secrets (name, ciphertext, iv, tag, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext, iv = excluded.iv, tag = excluded.tag, updated_at = excluded.updated_at`,
    [s.name, s.ciphertext, s.iv, s.tag, now, now],
  );
}

export async function getSecret(db: SqlExec, name: string): Promise<SecretRecord | null> {
  const rows = await db.all('SELECT * FROM vault_secrets WHERE name = ?', [name]);
  return rows.length ? rowToSecret(rows[0]) : null;
}

export async function listSecrets(db: SqlExec): Promise<Pick<SecretRecord, 'name' | 'createdAt' | 'updatedAt'>[]> {
  const rows = await db.all('SELECT name, created_at, updated_at FROM vault_secrets ORDER BY name');
  return rows.map((r) => ({ name: String(r.name), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) }));
}

export async function deleteSecret(db: SqlExec, name: string): Promise<boolean> {
  return (await db.run('DELETE FROM vault_secrets WHERE name = ?', [name])) > 0;
}

export async function getKeyCheck(db: SqlExec): Promise<string | null> {
  const rows = await db.all('SELECT key_check FROM vault_meta WHERE id = 1');
  return rows.length ? String(rows[0].key_check) : null;
}

/** The first writer wins; returns the key check that stands. */
export async function setKeyCheck(db: SqlExec, check: string): Promise<string> {
  await db.run('INSERT INTO vault_meta (id, key_check) VALUES (1, ?) ON CONFLICT (id) DO NOTHING', [check]);
  return (await getKeyCheck(db))!;
}
