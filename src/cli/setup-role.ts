// `airlock setup-role`: the SQL for two dedicated upstream roles, printed (or run with --apply):
// a read role (CONNECT, USAGE on the schema, SELECT on its tables now and later) and a write role
// for approved statements (SELECT, INSERT, UPDATE, USAGE on sequences; no DELETE or TRUNCATE, no
// ownership). Both NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS: what `airlock doctor` checks.
// The script is idempotent: it creates the roles when missing and brings their grants in line.
import type { Command } from 'commander';
import { z } from 'zod';
import { invalidParameterValue } from '../errors.js';
import { redactUrl } from '../domain/redact-url.js';
import { configFor } from './context.js';

const DO_TAG = '$airlock$';

const identifier = (what: string) =>
  z
    .string()
    .min(1, `${what} is empty`)
    .refine((s) => Buffer.byteLength(s, 'utf8') <= 63, `${what} is longer than 63 bytes`)
    .refine((s) => !s.includes('\0') && !s.includes(DO_TAG), `${what} contains a NUL byte or ${DO_TAG}`);

export const setupRoleSchema = z
  .object({
    readRole: identifier('--read-role').default('airlock_read'),
    writeRole: identifier('--write-role').default('airlock_write'),
    database: identifier('--database'),
    schema: identifier('--schema').default('public'),
    readPassword: z.string().min(1).optional(),
    writePassword: z.string().min(1).optional(),
  })
  .refine((o) => o.readRole !== o.writeRole, '--read-role and --write-role must differ');
export type SetupRoleOptions = z.input<typeof setupRoleSchema>;

/** "name" with embedded quotes doubled: any legal name is safe in the SQL. */
export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** 'text' with quotes doubled; E'' with doubled backslashes when there are any, whatever standard_conforming_strings is. */
export const quoteLiteral = (s: string) =>
  s.includes('\\') ? `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'` : `'${s.replace(/'/g, "''")}'`;

export interface RoleScript {
  /** the statements, in order (run in one transaction) */
  statements: string[];
  /** the same with passwords shown as *** (what --apply prints) */
  redacted: string[];
}

/**
 * Create the role when missing (CREATE ROLE may set every attribute, also for a CREATEROLE admin that
 * is not a superuser); an existing one is brought back to LOGIN NOCREATEDB NOCREATEROLE, and one that
 * is a superuser or has BYPASSRLS or REPLICATION (which only a superuser may change) stops the script.
 */
function role(name: string, password: string | undefined, grants: (r: string) => string[]): { sql: string[]; shown: string[] } {
  const r = quoteIdent(name);
  const n = quoteLiteral(name);
  const ensure = [
    `DO ${DO_TAG}`,
    'BEGIN',
    `  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${n}) THEN`,
    `    CREATE ROLE ${r} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION;`,
    `  ELSIF EXISTS (SELECT FROM pg_roles WHERE rolname = ${n} AND (rolsuper OR rolbypassrls OR rolreplication)) THEN`,
    `    RAISE EXCEPTION 'role % exists and is a superuser or has BYPASSRLS or REPLICATION: choose another name, or have a superuser run ALTER ROLE ... NOSUPERUSER NOBYPASSRLS NOREPLICATION', ${n};`,
    '  ELSE',
    `    ALTER ROLE ${r} WITH LOGIN NOCREATEDB NOCREATEROLE;`,
    '  END IF;',
    `END ${DO_TAG}`,
  ].join('\n');
  const rest = grants(r);
  if (password === undefined) return { sql: [ensure, ...rest], shown: [ensure, ...rest] };
  return {
    sql: [ensure, `ALTER ROLE ${r} PASSWORD ${quoteLiteral(password)}`, ...rest],
    shown: [ensure, `ALTER ROLE ${r} PASSWORD '***'`, ...rest],
  };
}

/** The statements for both roles: pure, so tests can run exactly what is printed. */
export function roleScript(input: SetupRoleOptions): RoleScript {
  const parsed = setupRoleSchema.safeParse(input);
  if (!parsed.success) throw invalidParameterValue(`${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const o = parsed.data;
  const db = quoteIdent(o.database);
  const s = quoteIdent(o.schema);
  const read = role(o.readRole, o.readPassword, (r) => [
    `GRANT CONNECT ON DATABASE ${db} TO ${r}`,
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA ${s} FROM ${r}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${r}`,
  ]);
  const write = role(o.writeRole, o.writePassword ?? o.readPassword, (r) => [
    `GRANT CONNECT ON DATABASE ${db} TO ${r}`,
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    `REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA ${s} FROM ${r}`,
    `GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    `GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE ON TABLES TO ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT USAGE ON SEQUENCES TO ${r}`,
  ]);
  return { statements: [...read.sql, ...write.sql], redacted: [...read.shown, ...write.shown] };
}

/** How to point Airlock at the roles, as SQL comments (printed above and below the script). */
export function roleNotes(o: { readRole: string; writeRole: string; database: string; hasPassword: boolean }): {
  head: string[];
  tail: string[];
} {
  const head = [
    `-- Airlock upstream roles for database ${quoteIdent(o.database)} (generated by \`airlock setup-role\`).`,
    '-- Run it as the owner of the tables (or a superuser), connected to that database: default',
    '-- privileges cover the tables the role running it creates later. Safe to run again.',
  ];
  const tail = [
    `-- Point Airlock at the write role: it runs auto statements in read-only sessions and approved`,
    `-- writes in read-write ones, e.g. upstream.url: postgresql://${encodeURIComponent(o.writeRole)}:PASSWORD@HOST:5432/${encodeURIComponent(o.database)}`,
    `-- (or AIRLOCK_UPSTREAM_URL / --upstream). ${o.readRole} is for a gateway that must never write`,
    '-- (approvals then fail with permission denied) and for other readers. Check with `airlock doctor`.',
  ];
  if (!o.hasPassword) {
    tail.unshift(
      `-- No password was set: ALTER ROLE ${quoteIdent(o.writeRole)} PASSWORD '...'; (and ${quoteIdent(o.readRole)}),`,
      '-- or run again with --password-from-env VAR.',
    );
  }
  return { head, tail };
}

const envValue = (name: string | undefined, flag: string) => {
  if (name === undefined) return undefined;
  const v = process.env[name];
  if (!v) throw invalidParameterValue(`${flag} ${name}: the environment variable ${name} is not set or empty`);
  return v;
};

interface Flags {
  readRole?: string;
  writeRole?: string;
  database?: string;
  schema?: string;
  passwordFromEnv?: string;
  writePasswordFromEnv?: string;
  apply?: boolean;
  upstream?: string;
}

export function register(program: Command): void {
  program
    .command('setup-role')
    .description('print (or --apply) the SQL for dedicated, least-privilege upstream roles for Airlock')
    .option('--read-role <name>', 'the read role (SELECT only)', 'airlock_read')
    .option('--write-role <name>', 'the role for approved statements (SELECT, INSERT, UPDATE)', 'airlock_write')
    .option('--database <name>', "database to grant CONNECT on (default: the upstream URL's)")
    .option('--schema <name>', 'schema whose tables are granted', 'public')
    .option('--password-from-env <var>', "set the roles' password from this environment variable")
    .option('--write-password-from-env <var>', 'a different password for the write role')
    .option('--apply', 'run it on the upstream in one transaction (needs a role that may create roles and grant)')
    .option('--upstream <url>', 'PostgreSQL to apply it on; env AIRLOCK_UPSTREAM_URL')
    .action(async (flags: Flags, cmd: Command) => {
      const config = configFor(cmd, { upstream: flags.upstream });
      const { applyUpstreamScript, upstreamDatabase } = await import('../gateway/diagnostics.js');
      const database = flags.database ?? upstreamDatabase(config.upstream.url);
      const readPassword = envValue(flags.passwordFromEnv, '--password-from-env');
      const script = roleScript({
        readRole: flags.readRole,
        writeRole: flags.writeRole,
        database,
        schema: flags.schema,
        readPassword,
        writePassword: envValue(flags.writePasswordFromEnv, '--write-password-from-env'),
      });
      const notes = roleNotes({
        readRole: flags.readRole ?? 'airlock_read',
        writeRole: flags.writeRole ?? 'airlock_write',
        database,
        hasPassword: readPassword !== undefined,
      });
      const body = (statements: string[]) => statements.map((s) => `${s};`);
      if (!flags.apply) {
        process.stdout.write([...notes.head, 'BEGIN;', ...body(script.statements), 'COMMIT;', ...notes.tail, ''].join('\n'));
        return;
      }
      await applyUpstreamScript(config.upstream.url, { statements: script.statements, shown: script.redacted }, database);
      process.stdout.write(
        [
          `-- applied on ${redactUrl(config.upstream.url)} (database ${quoteIdent(database)}), in one transaction:`,
          ...body(script.redacted),
          ...notes.tail,
          '',
        ].join('\n'),
      );
    });
}
