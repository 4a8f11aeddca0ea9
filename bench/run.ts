// `npm run bench`: every benchmark that runs without extra services beyond the local PostgreSQL
// and Redis, printed as one table. Each bench module exports an async function returning numbers
// (and, where a target is judged, a line of text saying whether it is met).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const suites: [name: string, file: string, fn: string][] = [
  ['policy', './policy.ts', 'benchPolicy'],
  ['audit', './audit.ts', 'benchAudit'],
  ['audit-cpu', './audit-cpu.ts', 'benchAuditCpu'],
  ['audit-layouts', './audit-layouts.ts', 'benchAuditLayouts'],
  ['preview', './preview.ts', 'benchPreview'],
  ['mcp', './mcp.ts', 'benchMcp'],
  ['api', './api.ts', 'benchApi'],
  ['limits', './limits.ts', 'benchLimits'],
  ['masking', './masking.ts', 'benchMasking'],
  ['check', './check-batch.ts', 'benchCheckBatch'],
  ['cli', './cli.ts', 'benchCli'],
];

const only = process.argv.slice(2);
for (const [name, file, fn] of suites) {
  if (only.length && !only.includes(name)) continue;
  if (!existsSync(fileURLToPath(new URL(file, import.meta.url)))) continue;
  const mod = (await import(file)) as Record<string, () => Promise<Record<string, number | string>>>;
  const started = Date.now();
  const result = await mod[fn]();
  process.stdout.write(`\n== ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  for (const [k, v] of Object.entries(result)) {
    process.stdout.write(`${k.padEnd(38)} ${typeof v === 'string' || Number.isInteger(v) ? v : v.toFixed(3)}\n`);
  }
}
process.exit(0);
