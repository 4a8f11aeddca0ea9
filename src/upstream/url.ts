// Turn the operator's upstream URL into pg connection settings with the database name
// replaced per request. The name goes to pg as a field, never back into a URL, so any
// legal database name (spaces, '/', '#', '%') reaches PostgreSQL unchanged.
import { userInfo } from 'node:os';
import type { ClientConfig } from 'pg';
import { configError, invalidParameterValue } from '../errors.js';

export interface UpstreamTarget {
  /** settings shared by every database: host, port, user, password, ssl, application_name */
  base: ClientConfig;
  /** the database named in the URL (default for role checks) */
  defaultDatabase: string;
  /** `-c name=value` startup options the URL itself asked for, kept and merged with ours */
  extraOptions: string;
  /** the URL's sslmode (or `ssl=true`: require), for connections Airlock opens itself (the wire proxy's) */
  sslmode: SslMode | null;
}

export type SslMode = keyof typeof SSL_MODES;

const SSL_MODES = {
  disable: false,
  allow: { rejectUnauthorized: false },
  prefer: { rejectUnauthorized: false },
  require: { rejectUnauthorized: false },
  'no-verify': { rejectUnauthorized: false },
  'verify-ca': { rejectUnauthorized: true },
  'verify-full': { rejectUnauthorized: true },
} as const;

/** libpq's default when the URL names no user: PGUSER, else the OS user (USER may be unset in services). */
export function defaultUser(): string | undefined {
  if (process.env.PGUSER) return process.env.PGUSER;
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** Stands in for the empty host of `postgresql://user@/db?host=/run/postgresql`, which libpq accepts and URL does not. */
const NO_HOST = 'airlock-no-host';

function parseUrl(raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    // userinfo with an empty host, as libpq's documentation writes a socket-directory URL
    const withHost = raw.replace(/^(postgres(?:ql)?:\/\/[^/?#@]*@)(?=[/?#]|$)/i, `$1${NO_HOST}`);
    try {
      if (withHost !== raw) return new URL(withHost);
    } catch {
      // fall through to the error below
    }
    throw configError('upstream.url is not a valid URL (expected postgresql://user@host:port/db)');
  }
}

/** Parse postgres:// or postgresql:// URLs (host may be a socket directory via ?host= or a percent-encoded host). */
export function parseUpstreamUrl(raw: string): UpstreamTarget {
  const url = parseUrl(raw);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw configError(`upstream.url must start with postgresql://, got ${url.protocol}//`);
  }
  const params = url.searchParams;
  const hostname = url.hostname === NO_HOST ? '' : url.hostname.replace(/^\[(.+)\]$/, '$1');
  const base: ClientConfig = {
    host: params.get('host') ?? (hostname ? decodeURIComponent(hostname) : '127.0.0.1'),
    port: Number(params.get('port') ?? url.port ?? 5432) || 5432,
    user: params.get('user') ?? (url.username ? decodeURIComponent(url.username) : defaultUser()),
    password: params.get('password') ?? (url.password ? decodeURIComponent(url.password) : undefined),
    application_name: params.get('application_name') ?? 'airlock',
    keepAlive: true,
    connectionTimeoutMillis: Number(params.get('connect_timeout') ?? 10) * 1000 || 10_000,
  };
  const sslmode = params.get('sslmode') ?? (params.get('ssl') === 'true' ? 'require' : null);
  if (sslmode !== null) {
    if (!(sslmode in SSL_MODES)) throw configError(`upstream.url: unsupported sslmode ${sslmode}`);
    base.ssl = SSL_MODES[sslmode as keyof typeof SSL_MODES];
  }
  const path = url.pathname.replace(/^\//, '');
  const defaultDatabase = path ? decodeURIComponent(path) : (base.user ?? 'postgres');
  return { base, defaultDatabase, extraOptions: params.get('options') ?? '', sslmode: sslmode as SslMode | null };
}

/** Database names come from agents: refuse what PostgreSQL could never accept, before connecting. */
export function checkDatabaseName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw invalidParameterValue('database name must be a non-empty string');
  if (name.includes('\0')) throw invalidParameterValue('database name contains a NUL byte');
  if (Buffer.byteLength(name, 'utf8') > 63) throw invalidParameterValue('database name longer than 63 bytes');
  return name;
}

/** Escape a value for a `-c name=value` startup option (spaces and backslashes need a backslash). */
export const startupOption = (name: string, value: string | number) =>
  `-c ${name}=${String(value).replace(/\\/g, '\\\\').replace(/ /g, '\\ ')}`;
