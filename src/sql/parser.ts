// The only SQL parser: libpg-query (PostgreSQL's own parser in WASM). Splits a request into
// statements by the parser's byte locations, never by text, and refuses input it cannot trust.
import { loadModule, parseSync } from 'libpg-query';

let loaded: Promise<void> | undefined;
let ready = false;

/** Load the WASM parser once; every entry point awaits this before the first decision. */
export function initParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

export const isParserReady = () => ready;

export interface RawStatement {
  node: string;
  tree: Record<string, unknown>;
  /** byte offsets in the UTF-8 text, as the parser reports them */
  location: number;
  length: number;
  sql: string;
}

export type ParseResult = { ok: true; statements: RawStatement[] } | { ok: false; error: string };

const NON_ASCII = /[^\x00-\x7f]/;

/** Refusals made before the parser sees the text: things the parser would misread or choke on. */
export function precheck(sql: unknown, maxBytes: number): string | null {
  if (typeof sql !== 'string') return 'query text must be a string';
  if (sql.length > maxBytes) return `statement too large: ${sql.length} characters, limit ${maxBytes} bytes`;
  if (sql.includes('\0')) return 'query text contains a NUL byte';
  if (!sql.isWellFormed()) return 'query text is not valid UTF-8 (lone surrogate)';
  const bytes = NON_ASCII.test(sql) ? Buffer.byteLength(sql, 'utf8') : sql.length;
  if (bytes > maxBytes) return `statement too large: ${bytes} bytes, limit ${maxBytes} bytes`;
  return null;
}

/** Parse and split into statements; errors come back as values (fail closed upstream). */
export function parseStatements(sql: string): ParseResult {
  if (!ready) return { ok: false, error: 'SQL parser not initialised' };
  if (sql.trim() === '') return { ok: true, statements: [] };
  let tree: { stmts?: { stmt?: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = parseSync(sql);
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, error: 'statement too deeply nested to analyze' };
    const msg = err instanceof Error ? err.message : String(err);
    if (/memory exhausted/.test(msg)) return { ok: false, error: 'statement too deeply nested to analyze' };
    return { ok: false, error: `syntax error: ${msg}` };
  }
  const stmts = tree.stmts ?? [];
  const ascii = !NON_ASCII.test(sql);
  const bytes = ascii ? undefined : Buffer.from(sql, 'utf8');
  const total = ascii ? sql.length : bytes!.length;
  const out: RawStatement[] = [];
  for (const s of stmts) {
    const stmt = s.stmt;
    if (!stmt) return { ok: false, error: 'parser returned an empty statement' };
    const node = Object.keys(stmt)[0];
    const location = s.stmt_location ?? 0;
    const length = s.stmt_len && s.stmt_len > 0 ? s.stmt_len : total - location;
    const text = ascii ? sql.slice(location, location + length) : bytes!.subarray(location, location + length).toString('utf8');
    out.push({ node, tree: stmt[node] as Record<string, unknown>, location, length, sql: text.trim() });
  }
  return { ok: true, statements: out };
}
