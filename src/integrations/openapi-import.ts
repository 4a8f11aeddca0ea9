// `airlock integrations import-openapi`: an OpenAPI 3.0 / 3.1 or Swagger 2 document (a file or an
// http(s) URL) turned into an integration definition, to review and commit. Methods get a tier by
// verb (GET/HEAD auto, POST/PUT/PATCH ask, DELETE block); rules are for the operator to add.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { parse as parseYaml, stringify } from 'yaml';
import { configError } from '../errors.js';
import { logger } from '../logger.js';
import { formatIssues } from '../domain/issues.js';
import { integrationSchema, type IntegrationAuth, type IntegrationDefinition } from './definition.js';
import { importMethods } from './openapi-methods.js';
import { isObject, shortText } from './openapi-schema.js';

type Json = Record<string, unknown>;

export type AuthOption = 'bearer' | 'basic' | `header:${string}` | `query:${string}`;

export interface ImportOptions {
  /** the integration's name (lower case, digits, _) */
  name: string;
  /** wins over the document's servers / host */
  baseUrl?: string;
  /** the vault secret the credentials come from (default `<name>_api_key` when `auth` is given) */
  secret?: string;
  /** how the secret is sent (default bearer when `secret` is given, else no auth) */
  auth?: AuthOption;
}

const isUrl = (s: string) => /^https?:\/\//i.test(s);
const FETCH_TIMEOUT_MS = 30_000;

/** The document's bytes, from a file or over http(s). */
async function readSpec(source: string): Promise<Buffer> {
  if (!isUrl(source)) {
    try {
      return await readFile(source);
    } catch (err) {
      throw configError(`cannot read the OpenAPI document ${source}: ${(err as Error).message}`);
    }
  }
  let res: Response;
  try {
    res = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
  } catch (err) {
    throw configError(`cannot fetch the OpenAPI document ${source}: ${(err as Error).message}`);
  }
  if (!res.ok) throw configError(`cannot fetch the OpenAPI document ${source}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

function parseSpec(source: string, bytes: Buffer): Json {
  const text = bytes.toString('utf8');
  let doc: unknown;
  try {
    doc = /^\s*\{/.test(text) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 10_000 });
  } catch (err) {
    throw configError(`${source}: not JSON or YAML: ${(err as Error).message}`);
  }
  if (!isObject(doc) || (typeof doc.openapi !== 'string' && doc.swagger === undefined)) {
    throw configError(`${source}: not an OpenAPI or Swagger document (no "openapi" or "swagger" field)`);
  }
  if (typeof doc.openapi === 'string' && !/^3\.[01]\./.test(doc.openapi)) {
    throw configError(`${source}: OpenAPI ${doc.openapi} is not supported (3.0, 3.1 and Swagger 2.0 are)`);
  }
  return doc;
}

/** Every `$ref` resolved; a recursive schema becomes an object cycle, which cleanSchema cuts. */
async function dereference(source: string, doc: Json): Promise<Json> {
  const base = isUrl(source) ? source : resolvePath(source);
  try {
    const out = await SwaggerParser.dereference(base, doc as never, { dereference: { circular: true } });
    return out as unknown as Json;
  } catch (err) {
    throw configError(`${source}: cannot resolve its $refs: ${(err as Error).message}`);
  }
}

function checkedUrl(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configError(`${what} ${JSON.stringify(url)} is not an absolute URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw configError(`${what} ${url} must be http(s)`);
  return parsed.href.replace(/\/+$/, '');
}

const relativeError = (source: string, url: string) =>
  configError(
    `${source}: the API's server URL ${JSON.stringify(url)} is relative, and a document read from a file has no address to resolve it against: ` +
      `pass --base-url (e.g. --base-url https://api.example.com${url.startsWith('/') ? url : `/${url}`})`,
  );

/** The API's base URL: the option, else servers[0] (3.x) or schemes/host/basePath (Swagger 2). */
export function baseUrlOf(doc: Json, source: string, override?: string): string {
  if (override) return checkedUrl(override, '--base-url');
  const from = isUrl(source) ? source : undefined;
  if (doc.swagger !== undefined) {
    const host = typeof doc.host === 'string' ? doc.host : from && new URL(from).host;
    if (!host) throw relativeError(source, typeof doc.basePath === 'string' ? doc.basePath : '/');
    const schemes = Array.isArray(doc.schemes) ? doc.schemes.filter((s) => s === 'https' || s === 'http') : [];
    const scheme = schemes.includes('https') ? 'https' : (schemes[0] ?? (from ? new URL(from).protocol.slice(0, -1) : 'https'));
    return checkedUrl(`${scheme}://${host}${typeof doc.basePath === 'string' ? doc.basePath : ''}`, 'the base URL');
  }
  const server = Array.isArray(doc.servers) ? doc.servers.find(isObject) : undefined;
  let url = typeof server?.url === 'string' ? server.url : '/';
  const vars = isObject(server?.variables) ? server.variables : {};
  url = url.replace(/\{([^}]+)\}/g, (whole, v: string) => {
    const d = isObject(vars[v]) ? vars[v].default : undefined;
    return d === undefined ? whole : String(d);
  });
  if (/\{[^}]+\}/.test(url)) throw configError(`${source}: the server URL ${url} has a variable without a default: pass --base-url`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return checkedUrl(url, 'the server URL');
  if (!from) throw relativeError(source, url);
  return checkedUrl(new URL(url, from).href, 'the server URL');
}

function authOf(opts: ImportOptions): IntegrationAuth {
  if (!opts.auth && !opts.secret) return { type: 'none' };
  const secret = opts.secret ?? `${opts.name}_api_key`;
  const auth = opts.auth ?? 'bearer';
  if (auth === 'bearer' || auth === 'basic') return { type: auth, secret };
  const m = /^(header|query):(.+)$/.exec(auth);
  if (!m) throw configError(`--auth ${auth}: expected bearer, basic, header:NAME or query:NAME`);
  return m[1] === 'header' ? { type: 'header', name: m[2], secret, prefix: '' } : { type: 'query', name: m[2], secret };
}

/** Import an OpenAPI document (path or http(s) URL) as an integration definition. */
export async function importOpenApi(specPathOrUrlText: string, opts: ImportOptions): Promise<IntegrationDefinition> {
  const source = specPathOrUrlText;
  if (!integrationSchema.shape.name.safeParse(opts.name).success) {
    throw configError(`--name ${JSON.stringify(opts.name)}: lower case letters, digits and _ (starting with a letter)`);
  }
  const bytes = await readSpec(source);
  const parsed = parseSpec(source, bytes);
  const baseUrl = baseUrlOf(parsed, source, opts.baseUrl);
  const doc = await dereference(source, parsed);
  const { methods, encodings, skipped } = importMethods(doc, doc.swagger !== undefined);
  if (!Object.keys(methods).length) throw configError(`${source}: no operations to import`);
  for (const s of skipped) logger.debug({ source }, `import-openapi: ${s}`);
  if (encodings.size > 1) logger.warn({ source }, 'import-openapi: some bodies are JSON and some forms; the definition sends JSON');
  const info = isObject(doc.info) ? doc.info : {};
  const candidate = {
    name: opts.name,
    ...(typeof info.title === 'string' ? { title: info.title } : {}),
    ...(shortText(info.description, 300) ? { description: shortText(info.description, 300) } : {}),
    baseUrl,
    auth: authOf(opts),
    // one encoding per integration: form only when every body is a form (Stripe)
    bodyEncoding: encodings.size === 1 && encodings.has('form') ? 'form' : 'json',
    source: { openapi: source, sha256: createHash('sha256').update(bytes).digest('hex') },
    methods,
  };
  const result = integrationSchema.safeParse(candidate);
  if (!result.success) throw configError(`${source}: the imported definition is not valid:\n${formatIssues(result.error.issues)}`);
  return result.data;
}

/** The YAML file of a definition, headed by a comment saying where it came from. */
export function toYaml(def: IntegrationDefinition): string {
  const from = def.source ? `${def.source.openapi} (sha256 ${def.source.sha256})` : 'an OpenAPI document';
  const header = [
    `# Generated by \`airlock integrations import-openapi\` from ${from}.`,
    '# Review it before use: tiers come from the HTTP verb (GET/HEAD auto, POST/PUT/PATCH ask, DELETE block);',
    '# add rules, tighten the argument schemas and delete the methods agents should not see.',
  ].join('\n');
  const body = stringify(compact(def), { aliasDuplicateObjects: false, lineWidth: 0 });
  return `${header}\n${body}`;
}

/** The definition without the keys that only restate a default (empty rules, no extra headers...). */
function compact(def: IntegrationDefinition): Json {
  const defaults = integrationSchema.parse({ name: 'x', baseUrl: 'https://x.invalid', methods: {} });
  const out: Json = { ...def };
  for (const key of ['bodyEncoding', 'timeoutMs', 'maxResponseBytes'] as const) if (def[key] === defaults[key]) delete out[key];
  if (!Object.keys(def.headers).length) delete out.headers;
  out.methods = Object.fromEntries(
    Object.entries(def.methods).map(([name, m]) => {
      const { rules, query, ...rest } = m;
      return [name, { ...rest, ...(rules.length ? { rules } : {}), ...(query.length ? { query } : {}) }];
    }),
  );
  return out;
}
