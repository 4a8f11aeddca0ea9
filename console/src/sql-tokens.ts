// Splits SQL into tokens for colouring only. It decides nothing (the policy reads the libpg-query
// tree): a wrong colour is cosmetic. It follows PostgreSQL's lexical rules for the parts that
// change colour: '' and E'' strings, $tag$ quotes, "identifiers", nested /* comments */, $1.

export type TokenKind = 'keyword' | 'string' | 'number' | 'comment' | 'ident' | 'param' | 'op' | 'space';

export interface Token {
  kind: TokenKind;
  text: string;
}

const KEYWORDS = new Set(
  (
    'ALL AND ANY ARRAY AS ASC BEGIN BETWEEN BY CALL CASE CAST COMMIT CONFLICT CREATE CROSS CURRENT DEFAULT DELETE DESC DISTINCT DO DROP ' +
    'ELSE END EXCEPT EXISTS EXPLAIN FALSE FETCH FOR FROM FULL GRANT GROUP HAVING ILIKE IN INNER INSERT INTERSECT INTO IS JOIN LATERAL ' +
    'LEFT LIKE LIMIT MATCHED MERGE NOT NOTHING NULL OFFSET ON OR ORDER OUTER OVER RETURNING RIGHT ROLLBACK SELECT SET SOME TABLE THEN ' +
    'TO TRUE TRUNCATE UNION UPDATE USING VALUES WHEN WHERE WINDOW WITH ALTER ADD COLUMN INDEX VIEW PRIMARY KEY REFERENCES UNIQUE CHECK'
  ).split(' '),
);

const isWordStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c);
const isWord = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/** End index of a quoted run starting at `i` (the opening quote), with doubled quotes as escapes. */
function quoted(sql: string, i: number, q: string, backslash: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    if (backslash && sql[j] === '\\') j += 2;
    else if (sql[j] === q && sql[j + 1] === q) j += 2;
    else if (sql[j] === q) return j + 1;
    else j++;
  }
  return sql.length;
}

function blockComment(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql.startsWith('/*', j)) {
      depth++;
      j += 2;
    } else if (sql.startsWith('*/', j)) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return sql.length;
}

/** Tokens covering the whole text, in order (joined they give the text back exactly). */
export function sqlTokens(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    out.push({ kind, text: sql.slice(i, end) });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i];
    const rest = sql.slice(i, i + 2);
    if (/\s/.test(c)) {
      let j = i;
      while (j < sql.length && /\s/.test(sql[j])) j++;
      push('space', j);
    } else if (rest === '--') {
      const nl = sql.indexOf('\n', i);
      push('comment', nl < 0 ? sql.length : nl);
    } else if (rest === '/*') push('comment', blockComment(sql, i));
    else if (c === "'") push('string', quoted(sql, i, "'", false));
    else if ((c === 'E' || c === 'e') && sql[i + 1] === "'") push('string', quoted(sql, i + 1, "'", true));
    else if (c === '"') push('ident', quoted(sql, i, '"', false));
    else if (c === '$' && isDigit(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && isDigit(sql[j])) j++;
      push('param', j);
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        push('string', close < 0 ? sql.length : close + tag[0].length);
      } else push('op', i + 1);
    } else if (isDigit(c) || (c === '.' && isDigit(sql[i + 1] ?? ''))) {
      let j = i;
      while (j < sql.length && /[0-9._eE]/.test(sql[j])) j++;
      push('number', j);
    } else if (isWordStart(c)) {
      let j = i;
      while (j < sql.length && isWord(sql[j])) j++;
      push(KEYWORDS.has(sql.slice(i, j).toUpperCase()) ? 'keyword' : 'ident', j);
    } else push('op', i + 1);
  }
  return out;
}
