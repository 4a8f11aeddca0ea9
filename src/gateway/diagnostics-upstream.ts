// Doctor's look at the upstream role: reachable, and weak enough that the read-only backstop holds.
// A superuser reads password hashes and server files with plain SELECTs; BYPASSRLS skips row-level
// security; CREATEROLE can make itself any non-superuser role; owning a table (or its schema) lets
// the role ALTER or DROP it and ignore its row-level security.
import { redactUrl } from '../domain/redact-url.js';
import { parseUpstreamUrl } from '../upstream/url.js';
import { serverAddress } from '../upstream/server-socket.js';
import { connectionProblem, diagnosis, withPgClient, type Diagnosis } from './diagnosis.js';

/** built-in roles that reach the server's files and programs */
const SERVER_FILE_ROLES = ['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program'];

const ROLE_SQL = `SELECT r.rolname::text AS role, r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
  current_database()::text AS database, current_setting('server_version') AS version,
  extract(epoch FROM clock_timestamp()) * 1000 AS now_ms,
  ARRAY(SELECT g.rolname::text FROM pg_roles g
        WHERE g.oid <> r.oid AND pg_has_role(r.oid, g.oid, 'MEMBER')
          AND (g.rolsuper OR g.rolbypassrls OR g.rolcreaterole OR g.rolname = ANY($1::text[]))
        ORDER BY 1) AS risky_memberships,
  (SELECT pg_has_role(r.oid, d.datdba, 'MEMBER') FROM pg_database d WHERE d.datname = current_database()) AS owns_database
FROM pg_roles r WHERE r.rolname = current_user`;

/** Tables and schemas outside the system schemas that the role owns, itself or through a role it is a member of. */
const OWNED_SQL = `SELECT kind, name, count(*) OVER () AS total FROM (
  SELECT 'table' AS kind, format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
     AND pg_has_role(current_user, c.relowner, 'MEMBER')
  UNION ALL
  SELECT 'schema', format('%I', n.nspname) FROM pg_namespace n
   WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' AND pg_has_role(current_user, n.nspowner, 'MEMBER')
) o ORDER BY kind DESC, name LIMIT 5`;

interface RoleRow {
  role: string;
  rolsuper: boolean;
  rolbypassrls: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  database: string;
  version: string;
  now_ms: string;
  risky_memberships: string[];
  owns_database: boolean;
}

export type UpstreamProbe =
  | { ok: true; role: RoleRow; owned: { kind: string; name: string; total: number }[]; skewMs: number; where: string }
  | { ok: false; error: unknown; where: string };

const whereOf = (url: string) => {
  try {
    const t = parseUpstreamUrl(url);
    return `${serverAddress(t.base.host ?? '127.0.0.1', t.base.port ?? 5432)}/${t.defaultDatabase}`;
  } catch {
    return redactUrl(url);
  }
};

/** Connect once as the configured role and read what the checks need. */
export async function probeUpstream(url: string): Promise<UpstreamProbe> {
  const where = whereOf(url);
  try {
    const t = parseUpstreamUrl(url);
    return await withPgClient({ ...t.base, database: t.defaultDatabase, application_name: 'airlock doctor' }, async (c) => {
      const before = Date.now();
      const { rows } = await c.query<RoleRow>(ROLE_SQL, [SERVER_FILE_ROLES]);
      const after = Date.now();
      const role = rows[0];
      if (!role) throw new Error('current_user is not in pg_roles');
      const owned = role.rolsuper ? [] : (await c.query<{ kind: string; name: string; total: string }>(OWNED_SQL)).rows;
      const skewMs = Number(role.now_ms) - (before + after) / 2;
      return { ok: true as const, role, owned: owned.map((o) => ({ ...o, total: Number(o.total) })), skewMs, where };
    });
  } catch (error) {
    return { ok: false, error, where };
  }
}

const SETUP_HINT =
  'connect as a dedicated role: `airlock setup-role --apply` creates airlock_read and airlock_write; then set upstream.url (AIRLOCK_UPSTREAM_URL) to postgresql://airlock_write@HOST/DB';

/** The upstream lines of the report, and the clock skew seen (null when it did not answer). */
export function upstreamFindings(url: string, p: UpstreamProbe): { before: Diagnosis[]; skew: number | null } {
  if (!p.ok) {
    const { finding, hint } = connectionProblem(p.error, 'PostgreSQL', '--upstream (AIRLOCK_UPSTREAM_URL, upstream.url)');
    const why = 'the upstream did not answer';
    return {
      before: [
        diagnosis('upstream', 'danger', `${p.where}: ${finding}`, hint),
        diagnosis('upstream-role', 'skip', why),
        diagnosis('upstream-ownership', 'skip', why),
      ],
      skew: null,
    };
  }
  const r = p.role;
  return {
    before: [
      diagnosis('upstream', 'ok', `reachable at ${p.where} as ${r.role} (PostgreSQL ${r.version.split(' ')[0]})`),
      roleFinding(r),
      ownershipFinding(r, p.owned),
    ],
    skew: p.skewMs,
  };
}

function roleFinding(r: RoleRow): Diagnosis {
  const danger: string[] = [];
  if (r.rolsuper) danger.push('is a superuser (reads password hashes and server files with plain SELECTs)');
  if (r.rolbypassrls) danger.push('has BYPASSRLS (row-level security does not apply)');
  if (r.rolcreaterole) danger.push('has CREATEROLE (can grant itself other roles)');
  if (!r.rolsuper && r.risky_memberships.length) {
    danger.push(`is a member of ${r.risky_memberships.join(', ')} (superuser, BYPASSRLS, CREATEROLE or server-file roles)`);
  }
  if (danger.length) return diagnosis('upstream-role', 'danger', `${r.role} ${danger.join('; ')}`, SETUP_HINT);
  if (r.rolcreatedb) {
    return diagnosis(
      'upstream-role',
      'warn',
      `${r.role} has CREATEDB (can create databases on the server)`,
      `ALTER ROLE ${r.role} NOCREATEDB, or use \`airlock setup-role\``,
    );
  }
  return diagnosis('upstream-role', 'ok', `${r.role}: not a superuser, no BYPASSRLS, CREATEROLE or CREATEDB`);
}

function ownershipFinding(r: RoleRow, owned: { kind: string; name: string; total: number }[]): Diagnosis {
  if (r.rolsuper) return diagnosis('upstream-ownership', 'skip', `${r.role} is a superuser: it may alter and drop everything anyway`);
  if (owned.length) {
    const total = owned[0].total;
    const names = owned.map((o) => `${o.kind} ${o.name}`).join(', ');
    return diagnosis(
      'upstream-ownership',
      'danger',
      `${r.role} owns ${total} table(s) or schema(s) in ${r.database}: ${names}${total > owned.length ? `, and ${total - owned.length} more` : ''} (an owner can ALTER or DROP them and bypasses their row-level security)`,
      `give them another owner (ALTER TABLE ... OWNER TO app_owner) and let Airlock connect as a role that only has grants (\`airlock setup-role\`)`,
    );
  }
  if (r.owns_database) {
    return diagnosis(
      'upstream-ownership',
      'warn',
      `${r.role} owns the database ${r.database} (it may change its settings and create schemas)`,
      'ALTER DATABASE ... OWNER TO another role, and let Airlock connect as a role that only has grants',
    );
  }
  return diagnosis('upstream-ownership', 'ok', `${r.role} owns no tables or schemas in ${r.database}`);
}
