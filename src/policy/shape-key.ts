// The shape cache's quick key: a text with each plain constant replaced by a mark of its lexical
// class, found by one pass over the text in the order PostgreSQL's scanner reads it, at a small
// fraction of the cost of pg_query_normalize (which runs the whole parser). It is a key, not a
// classifier: no decision is ever made from it. It answers null, and the normalizer is used, for
// anything it does not read exactly as the scanner does (a `$`, a backslash, a control character,
// E''/B''/X''/N''/U&'' strings, numbers with a prefix, `_`, a trailing `.` or junk). And a shape
// is kept under a quick key only after the normalizer has placed its constants exactly where this
// scan did (shape-cache.ts), so a text that reads differently is never decided from it.

/** The marks, by PostgreSQL's token class: ICONST (fits int4), FCONST (other numbers), SCONST. */
export const SHAPE_MARK = { int: '\u0001', float: '\u0002', string: '\u0003' } as const;
const MARKS = /[\u0001-\u0003]/g;
/**
 * Refused anywhere in a text: `$` (parameters, dollar quotes), a backslash (escapes), and the marks
 * themselves (in a quoted name or comment one would read as a constant in the key).
 */
const REFUSED_ANYWHERE = /[$\\\u0001-\u0003]/;

const INT4_MAX = '2147483647';

const isDigit = (c: number) => c >= 48 && c <= 57;
/** letters, `_` and any non-ASCII code unit (its UTF-8 bytes are identifier bytes to the scanner) */
const isIdentStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
const isIdentChar = (c: number) => isIdentStart(c) || isDigit(c);
/** control characters but tab, newline and return, refused outside a constant, quoted name or comment */
const refused = (c: number) => (c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127;

/** PostgreSQL's scanner class of a run of digits: ICONST when it fits in int4, else FCONST. */
function integerMark(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  const n = digits.length - i;
  return n < 10 || (n === 10 && digits.slice(i) <= INT4_MAX) ? SHAPE_MARK.int : SHAPE_MARK.float;
}

/**
 * Whether a string ending before `i` may go on in another: `'a'` and `'b'` separated by a newline
 * (and maybe `--` comments) are one constant to the scanner. Refused whenever white space runs to a
 * quote or a `--`.
 */
function continues(sql: string, i: number): boolean {
  let c = sql.charCodeAt(i);
  while (c === 32 || (c >= 9 && c <= 13)) c = sql.charCodeAt(++i);
  return c === 39 || (c === 45 && sql.charCodeAt(i + 1) === 45);
}

/** The end of a comment starting at `i` (`--` to the line's end, nested `/* *\/`), or -1 if unterminated. */
function commentEnd(sql: string, i: number): number {
  if (sql.charCodeAt(i) === 45) {
    const nl = sql.indexOf('\n', i);
    return nl === -1 ? sql.length : nl;
  }
  let depth = 0;
  for (let j = i; j < sql.length - 1; j++) {
    const c = sql.charCodeAt(j);
    const d = sql.charCodeAt(j + 1);
    if (c === 47 && d === 42) {
      depth++;
      j++;
    } else if (c === 42 && d === 47 && --depth === 0) return j + 2;
  }
  return -1;
}

/** The key of `sql`, or null when the quick scan cannot vouch for reading it as the scanner does. */
export function shapeKey(sql: string): string | null {
  if (REFUSED_ANYWHERE.test(sql)) return null;
  let out = '';
  let from = 0;
  let constants = 0;
  const n = sql.length;
  for (let i = 0; i < n;) {
    const c = sql.charCodeAt(i);
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentChar(sql.charCodeAt(i))) i++;
      if (i < n && sql.charCodeAt(i) === 39) return null; // E'', B'', X'', N''
      continue;
    }
    if (c === 34) {
      // a quoted name, "" inside it doubled: kept as it is
      for (i++; ; i += 2) {
        i = sql.indexOf('"', i);
        if (i === -1) return null;
        if (sql.charCodeAt(i + 1) !== 34) break;
      }
      i++;
      continue;
    }
    if (c === 39) {
      if (i > 0 && sql.charCodeAt(i - 1) === 38) return null; // U&''
      let j = i + 1;
      for (; ; j += 2) {
        j = sql.indexOf("'", j);
        if (j === -1) return null;
        if (sql.charCodeAt(j + 1) !== 39) break;
      }
      if (continues(sql, j + 1)) return null;
      out += sql.slice(from, i) + SHAPE_MARK.string;
      from = i = j + 1;
      constants++;
      continue;
    }
    if (isDigit(c)) {
      if (i > 0 && sql.charCodeAt(i - 1) === 46) return null; // .5
      let j = i;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      let mark = integerMark(sql.slice(i, j));
      if (sql.charCodeAt(j) === 46 && isDigit(sql.charCodeAt(j + 1))) {
        for (j++; j < n && isDigit(sql.charCodeAt(j));) j++;
        mark = SHAPE_MARK.float;
      }
      const e = sql.charCodeAt(j);
      if (e === 101 || e === 69) {
        const s = sql.charCodeAt(j + 1);
        const k = s === 43 || s === 45 ? j + 2 : j + 1;
        if (isDigit(sql.charCodeAt(k))) {
          for (j = k; j < n && isDigit(sql.charCodeAt(j));) j++;
          mark = SHAPE_MARK.float;
        }
      }
      // what follows must start another token: not a name, `.` or `_` (1e, 1., 1_000, 0x1F)
      if (j < n && (isIdentChar(sql.charCodeAt(j)) || sql.charCodeAt(j) === 46)) return null;
      out += sql.slice(from, i) + mark;
      from = i = j;
      constants++;
      continue;
    }
    if ((c === 45 && sql.charCodeAt(i + 1) === 45) || (c === 47 && sql.charCodeAt(i + 1) === 42)) {
      const end = commentEnd(sql, i);
      if (end === -1) return null;
      i = end;
      continue;
    }
    if (refused(c)) return null;
    i++;
  }
  return constants === 0 ? null : out + sql.slice(from);
}

/** What pg_query_normalize gives for the text a key was made from when it finds the same constants. */
export function normalizedFromKey(key: string): string {
  let k = 0;
  return key.replace(MARKS, () => `$${++k}`);
}
