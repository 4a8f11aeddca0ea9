// Migration runner: numbered SQL files in migrations/<dialect>/, applied once each and recorded
// in schema_migrations, under a lock so two processes starting together never both apply one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configError } from '../errors.js';
import { logger } from '../logger.js';
import type { SqlDriver } from './sql-driver.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Find migrations/ by walking up from this file, so it works from src/ (tsx) and dist/src/ alike. */
export function defaultMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, 'sqlite')) && existsSync(join(candidate, 'postgres'))) return candidate;
    dir = dirname(dir);
  }
  throw configError('cannot find the migrations/ directory next to the airlock installation');
}

/** The dialect's migrations in version order; a duplicate version is a packaging error. */
export function loadMigrations(dialect: 'sqlite' | 'postgres', root = defaultMigrationsDir()): Migration[] {
  const dir = join(root, dialect);
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = FILE.exec(file);
    if (!m) continue;
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) throw configError(`duplicate migration version ${version} in ${dir}`);
    out.push({ version, name: m[2], sql: readFileSync(join(dir, file), 'utf8') });
  }
  return out;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** Apply what is missing, in one locked transaction; returns the versions applied by this call. */
export async function runMigrations(driver: SqlDriver, migrations: readonly Migration[]): Promise<number[]> {
  return driver.transaction(async (tx) => {
    for (const stmt of driver.preamble) await tx.exec(stmt);
    await tx.exec(CREATE_TABLE);
    const rows = await tx.all<{ version: unknown }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const known = new Set(migrations.map((m) => m.version));
    const newer = [...applied].filter((v) => !known.has(v));
    if (newer.length) logger.warn({ versions: newer }, 'store has migrations this airlock does not know; it is newer');
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      done.push(m.version);
    }
    if (done.length) logger.info({ dialect: driver.dialect, versions: done }, 'store migrated');
    return done;
  }, 'migrate');
}
