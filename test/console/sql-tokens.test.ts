// The console's SQL colouring: it only colours (the policy never reads it), but it must give the
// text back exactly and keep strings, quoted identifiers and comments whole, whatever they contain.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlTokens } from '../../console/src/sql-tokens.js';
import { CORPUS_DIR } from '../helpers/env.js';

const kinds = (sql: string) =>
  sqlTokens(sql)
    .filter((t) => t.kind !== 'space')
    .map((t) => `${t.kind}:${t.text}`);

describe('console SQL tokens', () => {
  it('gives every corpus statement back exactly', () => {
    const lines = readFileSync(join(CORPUS_DIR, 'pg-regress.jsonl'), 'utf8').trim().split('\n');
    for (const line of lines.slice(0, 3000)) {
      const { sql } = JSON.parse(line) as { sql: string };
      expect(
        sqlTokens(sql)
          .map((t) => t.text)
          .join(''),
      ).toBe(sql);
    }
  });

  it('keeps strings, dollar quotes, quoted identifiers and nested comments whole', () => {
    expect(kinds("UPDATE t SET a = 'it''s <b>' WHERE id = $1")).toEqual([
      'keyword:UPDATE',
      'ident:t',
      'keyword:SET',
      'ident:a',
      'op:=',
      "string:'it''s <b>'",
      'keyword:WHERE',
      'ident:id',
      'op:=',
      'param:$1',
    ]);
    expect(kinds('SELECT E\'a\\\'b\', $x$ \' -- $x$, "we""ird" /* a /* b */ c */ 1.5e3')).toEqual([
      'keyword:SELECT',
      "string:E'a\\'b'",
      'op:,',
      "string:$x$ ' -- $x$",
      'op:,',
      'ident:"we""ird"',
      'comment:/* a /* b */ c */',
      'number:1.5e3',
    ]);
    expect(kinds("SELECT 1 -- '<script>\nFROM x")).toEqual([
      'keyword:SELECT',
      'number:1',
      "comment:-- '<script>",
      'keyword:FROM',
      'ident:x',
    ]);
    expect(kinds("SELECT 'unterminated")).toEqual(['keyword:SELECT', "string:'unterminated"]);
  });
});
