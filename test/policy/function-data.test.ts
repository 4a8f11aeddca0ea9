// The generated function knowledge: the pg_catalog part is PostgreSQL 15's catalog as in the
// vendored corpus, and information_schema's helpers (JDBC metadata queries) are known too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PG_CATALOG_FUNCTIONS } from '../../src/sql/data/pg-functions.js';
import { PolicyEngine, initPolicy } from '../../src/policy/engine.js';
import { CORPUS_DIR } from '../helpers/env.js';

let engine: PolicyEngine;
beforeAll(async () => {
  await initPolicy();
  engine = new PolicyEngine();
});

describe('function knowledge', () => {
  it('holds exactly the corpus catalog of pg_catalog functions', () => {
    expect(PG_CATALOG_FUNCTIONS.trim()).toBe(readFileSync(join(CORPUS_DIR, 'pg-functions.tsv'), 'utf8').trim());
  });

  it("knows information_schema's helpers by their volatility, and nothing else in that schema", () => {
    expect(engine.decide('SELECT information_schema._pg_expandarray(ARRAY[1, 2])').decision).toBe('auto');
    expect(engine.decide('SELECT information_schema._pg_char_max_length(23, 4)').decision).toBe('auto');
    expect(engine.decide('SELECT information_schema.no_such_helper(1)').decision).toBe('ask');
    expect(engine.decide('SELECT _pg_expandarray(ARRAY[1])').decision).toBe('ask'); // not on the search path: unknown
  });
});
