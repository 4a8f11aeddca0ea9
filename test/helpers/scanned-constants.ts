// The public SQL corpora and PostgreSQL's own scanner (libpg-query's scanSync), for the tests that
// prove the shape shortcut: a text with some of the constants the scanner finds rewritten.
import { scanSync } from '@libpg-query/parser';

/** Every public corpus of SQL statements (one `{sql}` per line). */
export const SQL_CORPORA = ['pg-regress.jsonl', 'pg-regress-invalid.jsonl', 'bypass-public.jsonl', 'client-catalog-public.jsonl'];

/**
 * The text with each constant token the scanner finds replaced by what `replace` gives for its token
 * name and text (null: left as it is), or null when the text does not scan or nothing was replaced.
 * The scanner's offsets are bytes of the UTF-8 text.
 */
export function replaceConstants(sql: string, replace: (tokenName: string, text: string) => string | null): string | null {
  let tokens: { start: number; end: number; tokenName: string }[];
  try {
    tokens = (scanSync(sql) as { tokens: typeof tokens }).tokens;
  } catch {
    return null;
  }
  const bytes = Buffer.from(sql, 'utf8');
  let out = '';
  let at = 0;
  for (const t of tokens) {
    const other = replace(t.tokenName, bytes.subarray(t.start, t.end).toString('utf8'));
    if (other === null) continue;
    out += bytes.subarray(at, t.start).toString('utf8') + other;
    at = t.end;
  }
  return at === 0 ? null : out + bytes.subarray(at).toString('utf8');
}
