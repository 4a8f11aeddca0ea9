// Readers for the vendored corpora (test/corpus), used by policy, wire and MCP tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS_DIR } from './env.js';

export const readJsonl = <T = Record<string, any>>(name: string): T[] =>
  readFileSync(join(CORPUS_DIR, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);

export interface BypassCase {
  id: string;
  sql: string;
  expect: 'auto' | 'block' | 'not-auto';
  why: string;
  technique: string;
}

export const bypassCases = () => readJsonl<BypassCase>('bypass-public.jsonl');

/** Does a decision meet a bypass case's expectation? */
export const meetsExpectation = (expect: BypassCase['expect'], decision: string) =>
  expect === 'auto' ? decision === 'auto' : expect === 'block' ? decision === 'block' : decision !== 'auto';
