// `airlock doctor` and `airlock setup-role` against the real local PostgreSQL: a superuser upstream
// is a danger, the roles setup-role creates pass, a missing store is reported (and not created),
// an unreachable upstream is one line and quick, and the printed SQL is what PostgreSQL accepts.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withClient as onDb } from '../helpers/pg.js';
import { runCli } from '../helpers/cli.js';
import { DATABASE_URL, REDIS_URL, uniqueName } from '../helpers/env.js';

const dir = mkdtempSync(join(tmpdir(), 'airlock-doctor-'));
const store = `sqlite:${join(dir, 'airlock.sqlite')}`;
const database = uniqueName('doctor');
const roles = { read: uniqueName('doc_read'), write: uniqueName('doc_write'), owner: uniqueName('doc_owner') };
// names that need quoting: the printed SQL must quote them
const printed = { read: uniqueName('doc "pread'), write: uniqueName('doc_pwrite') };
// nothing from the developer's shell: every test names its upstream, store and Redis
const env = {
  AIRLOCK_CONFIG: '',
  AIRLOCK_STORE_URL: '',
  AIRLOCK_UPSTREAM_URL: '',
  REDIS_URL: '',
  AIRLOCK_MASTER_KEY: '',
  AIRLOCK_MASTER_KEY_FILE: '',
};
const CHECKS = ['upstream', 'upstream-role', 'upstream-ownership', 'store', 'master-key', 'redis', 'clock'];

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** DATABASE_URL as another role (trust auth: no password) and/or in another database. */
function urlAs(user: string | null, db = database): string {
  const u = new URL(DATABASE_URL);
  if (user !== null) {
    u.username = encodeURIComponent(user);
    u.password = '';
  }
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

const doctor = (args: string[], extraEnv: Record<string, string> = {}) =>
  runCli(['doctor', ...args], { env: { ...env, ...extraEnv }, cwd: dir, timeoutMs: 20_000 });

const lineOf = (stdout: string, check: string) => stdout.split('\n').find((l) => new RegExp(`^\\w+\\s+${check}: `).test(l)) ?? '';

beforeAll(async () => {
  await onDb(DATABASE_URL, (c) => c.query(`CREATE DATABASE "${database}"`));
  await onDb(urlAs(null), async (c) => {
    await c.query('CREATE TABLE public.items (id serial PRIMARY KEY, name text)');
    await c.query(`CREATE ROLE "${roles.owner}" LOGIN`);
    await c.query(`CREATE TABLE public.owned (id int)`);
    await c.query(`ALTER TABLE public.owned OWNER TO "${roles.owner}"`);
  });
  const m = await runCli(['migrate', '--store', store], { env });
  expect(m.code, m.stderr).toBe(0);
});

afterAll(async () => {
  await onDb(DATABASE_URL, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    for (const r of [...Object.values(roles), ...Object.values(printed)]) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(r)}`);
  });
  rmSync(dir, { recursive: true, force: true });
});

describe('airlock doctor', () => {
  it('reports a superuser upstream as a danger (exit 2)', async () => {
    const r = await doctor(['--upstream', DATABASE_URL, '--store', store]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(lineOf(r.stdout, 'upstream')).toMatch(/^ok\s+upstream: reachable at .* as \S+ \(PostgreSQL \d+/);
    expect(lineOf(r.stdout, 'upstream-role')).toMatch(/^danger\s+upstream-role: \S+ is a superuser/);
    expect(r.stdout).toMatch(/upstream-role: .*\n\s+→ connect as a dedicated role: `airlock setup-role --apply`/);
    expect(lineOf(r.stdout, 'store')).toMatch(/^ok\s+store: .* schema version \d+ \(up to date\)/);
    expect(lineOf(r.stdout, 'clock')).toMatch(/^ok\s+clock: local clock/);
    expect(r.stderr).toBe('');
  });

  it('passes with the roles `setup-role --apply` creates, and a migrated store (exit 0)', async () => {
    const apply = await runCli(
      [
        'setup-role',
        '--apply',
        '--upstream',
        urlAs(null),
        '--read-role',
        roles.read,
        '--write-role',
        roles.write,
        '--password-from-env',
        'DOCTOR_PW',
      ],
      { env: { ...env, DOCTOR_PW: "s3cret'pw" } },
    );
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/^-- applied on .* in one transaction/);
    expect(apply.stdout).toContain(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "public" TO "${roles.write}"`);
    expect(apply.stdout).toContain("PASSWORD '***'");
    expect(apply.stdout).not.toContain('s3cret');
    const privileges = await onDb(urlAs(null), async (c) => {
      const q = `SELECT has_table_privilege($1, 'public.items', $2) AS ok`;
      const has = async (role: string, p: string) => (await c.query(q, [role, p])).rows[0].ok as boolean;
      return {
        readSelect: await has(roles.read, 'SELECT'),
        readInsert: await has(roles.read, 'INSERT'),
        writeUpdate: await has(roles.write, 'UPDATE'),
        writeDelete: await has(roles.write, 'DELETE'),
        writeTruncate: await has(roles.write, 'TRUNCATE'),
        attrs: (
          await c.query(
            'SELECT bool_or(rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb) AS any FROM pg_roles WHERE rolname = ANY($1)',
            [[roles.read, roles.write]],
          )
        ).rows[0].any,
      };
    });
    expect(privileges).toEqual({
      readSelect: true,
      readInsert: false,
      writeUpdate: true,
      writeDelete: false,
      writeTruncate: false,
      attrs: false,
    });
    for (const role of [roles.write, roles.read]) {
      const r = await doctor(['--upstream', urlAs(role), '--store', store]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).not.toMatch(/^danger/m);
      expect(lineOf(r.stdout, 'upstream-role')).toMatch(/^ok\s+upstream-role: /);
      expect(lineOf(r.stdout, 'upstream-ownership')).toMatch(/^ok\s+upstream-ownership: .* owns no tables/);
    }
  });

  it('reports a role that owns tables', async () => {
    const r = await doctor(['--upstream', urlAs(roles.owner), '--store', store]);
    expect(r.code).toBe(2);
    expect(lineOf(r.stdout, 'upstream-ownership')).toMatch(/^danger\s+upstream-ownership: \S+ owns 1 .*public\.owned/);
  });

  it('reports a missing SQLite store as a danger and does not create it', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = await doctor(['--upstream', urlAs(roles.write), '--store', `sqlite:${join(empty, 'airlock.sqlite')}`]);
    expect(r.code).toBe(2);
    expect(lineOf(r.stdout, 'store')).toMatch(/^danger\s+store: the store .*airlock\.sqlite does not exist/);
    expect(r.stdout).toMatch(/store: .*\n\s+→ run `airlock migrate`/);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('reports an unreachable upstream in one line, quickly', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const started = Date.now();
    const r = await doctor(['--upstream', `postgresql://127.0.0.1:${port}/test`, '--store', store]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(2);
    expect(lineOf(r.stdout, 'upstream')).toBe(`danger  upstream: 127.0.0.1:${port}/test: connection refused at 127.0.0.1:${port}`);
    expect(r.stdout).toMatch(/connection refused.*\n\s+→ nothing listens there: start PostgreSQL/);
    expect(lineOf(r.stdout, 'upstream-role')).toMatch(/^skip/);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toBe('');
  });

  it('--json prints an array of {check, status, finding, hint}; Redis is checked when configured', async () => {
    const r = await doctor(['--upstream', urlAs(roles.write), '--store', store, '--redis', REDIS_URL, '--json']);
    expect(r.code, r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(report.map((d) => d.check)).toEqual(CHECKS);
    for (const d of report) {
      expect(Object.keys(d).sort()).toEqual(['check', 'finding', 'hint', 'status']);
      expect(['ok', 'warn', 'danger', 'skip']).toContain(d.status);
      expect(typeof d.finding).toBe('string');
    }
    expect(report.find((d) => d.check === 'redis')).toMatchObject({ status: 'ok', hint: null });
    const noRedis = JSON.parse((await doctor(['--upstream', urlAs(roles.write), '--store', store, '--json'])).stdout) as Record<
      string,
      unknown
    >[];
    expect(noRedis.find((d) => d.check === 'redis')?.status).toBe('skip');
  });

  it('checks that the master key opens a vault with secrets', async () => {
    const vaultStore = `sqlite:${join(dir, 'vault.sqlite')}`;
    expect((await runCli(['migrate', '--store', vaultStore], { env })).code).toBe(0);
    const set = await runCli(['vault', 'set', 'api_key', '--store', vaultStore], { env, input: 'value' });
    expect(set.code, set.stderr).toBe(0);
    const args = ['--upstream', urlAs(roles.write), '--store', vaultStore, '--json'];
    const keyOf = async (extra: Record<string, string> = {}) =>
      (JSON.parse((await doctor(args, extra)).stdout) as Record<string, unknown>[]).find((d) => d.check === 'master-key');
    expect(await keyOf()).toMatchObject({ status: 'ok', finding: expect.stringMatching(/opens the vault \(1 secret/) });
    expect(await keyOf({ AIRLOCK_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') })).toMatchObject({
      status: 'danger',
      finding: expect.stringMatching(/does not open this vault/),
    });
    unlinkSync(join(dir, 'vault.sqlite.master-key'));
    expect(await keyOf()).toMatchObject({ status: 'danger', finding: expect.stringMatching(/no master key was found/) });
  });
});

describe('airlock setup-role', () => {
  it('prints SQL that PostgreSQL accepts, and that can run again', async () => {
    const r = await runCli(['setup-role', '--database', database, '--read-role', printed.read, '--write-role', printed.write], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^BEGIN;$/m);
    expect(r.stdout).toContain(`NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS`);
    expect(r.stdout).toMatch(/upstream\.url: postgresql:\/\//);
    await onDb(urlAs(null), async (c) => {
      await c.query(r.stdout);
      await c.query(r.stdout);
      const { rows } = await c.query(
        `SELECT rolname, rolcanlogin, rolsuper, has_table_privilege(rolname, 'public.items', 'SELECT') AS sel,
                has_table_privilege(rolname, 'public.items', 'INSERT') AS ins FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
        [[printed.read, printed.write]],
      );
      expect(rows).toEqual([
        { rolname: printed.read, rolcanlogin: true, rolsuper: false, sel: true, ins: false },
        { rolname: printed.write, rolcanlogin: true, rolsuper: false, sel: true, ins: true },
      ]);
    });
  });

  it('--apply runs in one transaction: an existing superuser as the write role undoes the read role too', async () => {
    const superuser = await onDb(DATABASE_URL, async (c) => (await c.query('SELECT current_user AS u')).rows[0].u as string);
    const fresh = uniqueName('doc_fresh');
    const r = await runCli(['setup-role', '--apply', '--upstream', urlAs(null), '--read-role', fresh, '--write-role', superuser], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^airlock: statement \d+ failed, nothing was applied: role \S+ exists and is a superuser.*\(in: DO \$airlock\$.*\)\n$/,
    );
    const left = await onDb(
      DATABASE_URL,
      async (c) => (await c.query('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [fresh])).rows[0].n,
    );
    expect(left).toBe(0);
  });

  it('refuses role names it cannot quote safely, in one line', async () => {
    const r = await runCli(['setup-role', '--database', 'x', '--write-role', 'a$airlock$b'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^airlock: --write-role contains a NUL byte or \$airlock\$\n$/);
  });
});
