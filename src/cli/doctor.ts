// `airlock doctor`: is this installation safe to serve agents from? One line per check
// (`ok|warn|danger|skip  check: finding`, with "→ what to do" under each that is not ok), or a JSON
// array with --json. Exit 0 when nothing is a danger, 2 when something is. Every check is bounded
// (about 3 s) and read-only, so doctor neither hangs nor changes what it looks at.
import type { Command } from 'commander';
import type { Diagnosis } from '../gateway/diagnostics.js';
import { configFor, type CommonFlags } from './context.js';

/** exit code when any check is a danger (1 stays "the command itself failed") */
export const DANGER_EXIT = 2;

const STATUS_WIDTH = 8;

/** The report as people read it: one line per check, the hint indented under it, then a summary. */
export function formatDiagnoses(diagnoses: readonly Diagnosis[]): string {
  const lines: string[] = [];
  for (const d of diagnoses) {
    lines.push(`${d.status.padEnd(STATUS_WIDTH)}${d.check}: ${d.finding}`);
    if (d.hint && d.status !== 'ok') lines.push(`${' '.repeat(STATUS_WIDTH)}→ ${d.hint}`);
  }
  const count = (s: Diagnosis['status']) => diagnoses.filter((d) => d.status === s).length;
  const dangers = count('danger');
  const warnings = count('warn');
  lines.push('');
  if (dangers) lines.push(`${dangers} danger(s), ${warnings} warning(s): fix the danger lines before agents use this gateway`);
  else if (warnings) lines.push(`no danger, ${warnings} warning(s)`);
  else lines.push('all checks passed');
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the upstream role, store, Redis, vault key and clocks; exit 2 when something is a danger')
    .option('--upstream <url>', 'PostgreSQL that agents reach; env AIRLOCK_UPSTREAM_URL')
    .option('--store <url>', 'sqlite:PATH or postgresql://...; env AIRLOCK_STORE_URL')
    .option('--redis <url>', 'Redis of the approval queue; env REDIS_URL')
    .option('--json', 'print an array of {check, status, finding, hint}')
    .action(async (flags: CommonFlags, cmd: Command) => {
      const config = configFor(cmd, flags);
      // loaded on demand: the checks' drivers (pg, better-sqlite3, ioredis) are for this command only
      const { runDiagnostics } = await import('../gateway/diagnostics.js');
      const diagnoses = await runDiagnostics(config);
      process.stdout.write(flags.json ? `${JSON.stringify(diagnoses, null, 2)}\n` : formatDiagnoses(diagnoses));
      if (diagnoses.some((d) => d.status === 'danger')) process.exitCode = DANGER_EXIT;
    });
}
