// The bare baseline of `airlock check --batch` (bench/check-batch.ts): the same JSON lines, each
// parsed with libpg-query and answered with one JSON line, in one process; no policy.
import { loadModule, parseSync } from 'libpg-query';
import { createInterface } from 'node:readline';
await loadModule();
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line) continue;
  const { sql } = JSON.parse(line);
  let r;
  try {
    const t = parseSync(sql);
    r = { ok: true, n: t.stmts?.length ?? 0 };
  } catch (e) {
    r = { ok: false, error: String(e.message) };
  }
  if (!process.stdout.write(JSON.stringify(r) + '\n')) await new Promise((res) => process.stdout.once('drain', res));
}
