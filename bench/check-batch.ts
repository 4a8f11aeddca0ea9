// `airlock check --batch` against a bare libpg-query parse of the same JSON lines in the same process
// shape (read stdin, one JSON line out per line): wall time of each over the pg-regress corpus, best
// of three, and the ratio (target ≤ 1.5×).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

function best(args: string[], input: string): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { input: readFileSync(input), maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return min;
}

export async function benchCheckBatch(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-check-'));
  try {
    const input = join(dir, 'lines.jsonl');
    const lines = readFileSync(here('../test/corpus/pg-regress.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(input, lines.map((l) => JSON.stringify({ sql: (JSON.parse(l) as { sql: string }).sql })).join('\n') + '\n');
    const bare = best([here('./bare-parse.mjs')], input);
    const check = best([here('../bin/airlock.js'), 'check', '--batch'], input);
    return { lines: lines.length, bare_parse_s: bare, check_batch_s: check, ratio: check / bare };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
