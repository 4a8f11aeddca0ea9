// `airlock audit list|export|verify`: read, export and check the hash-chained audit trail.
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { invalidParameterValue } from '../errors.js';
import { TIERS } from '../domain/decision.js';
import { AUDIT_EVENT_TYPES, exportLine, type AuditEvent, type AuditFilter, type VerifyResult } from '../domain/audit.js';
import type { AdminGateway } from '../gateway/admin-gateway.js';
import { withAdmin } from './context.js';

interface FilterOpts {
  store?: string;
  json?: boolean;
  agent?: string;
  decision?: string;
  table?: string;
  type?: string;
  since?: string;
  until?: string;
  limit?: string;
}

/** ISO 8601 (or ms since the epoch) → ms; the flag is named when it does not parse. */
export function parseTime(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw invalidParameterValue(`--${flag}: "${value}" is not an ISO time (e.g. 2025-01-31T12:00:00Z)`);
  return ms;
}

function filterFrom(opts: FilterOpts, defaultLimit?: number): AuditFilter {
  let limit = defaultLimit;
  if (opts.limit !== undefined) {
    limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw invalidParameterValue(`--limit: "${opts.limit}" is not a positive integer`);
  }
  return {
    agent: opts.agent,
    decision: opts.decision,
    table: opts.table,
    type: opts.type,
    since: parseTime('since', opts.since),
    until: parseTime('until', opts.until),
    limit,
  };
}

/** The admin gateway (which replays journals of processes that died first, so nothing journaled is missed). */
const withStore = (cmd: Command, opts: FilterOpts, fn: (gw: AdminGateway) => Promise<void>) => withAdmin(cmd, opts, fn);

/** `--head SEQ:HASH` → the head to hold the chain against. */
function parseHead(value: string | undefined): { seq: number; hash: string } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+):([0-9a-f]{64})$/.exec(value.trim());
  if (!m) throw invalidParameterValue(`--head: "${value}" is not SEQ:HASH (a seq number and a 64-character hex hash, as verify prints)`);
  return { seq: Number(m[1]), hash: m[2] };
}

function printVerify(r: VerifyResult, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  if (r.ok) {
    const head = r.headHash ? `, head ${r.lastSeq}:${r.headHash}` : '';
    const cp = r.checkpoints?.checked ? `; ${r.checkpoints.checked} checkpoint(s) hold, signatures ${r.checkpoints.signatures}` : '';
    process.stdout.write(`audit chain ok: ${r.count} events${head}${cp}\n`);
  } else {
    const at = r.firstBrokenSeq !== undefined ? ` at seq ${r.firstBrokenSeq}` : '';
    process.stdout.write(`audit chain BROKEN${at}: ${r.reason} (${r.count} events intact before it)\n`);
  }
  for (const w of r.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
}

/** One readable line per event: what happened, to whom, and a hint of the payload. */
function formatEvent(e: AuditEvent): string {
  const d = e.data as Record<string, unknown>;
  const hint = [d.sql, d.reason, d.message, d.tool].find((x) => typeof x === 'string') as string | undefined;
  const short = hint ? ` ${JSON.stringify(hint.length > 80 ? `${hint.slice(0, 77)}...` : hint)}` : '';
  const cols = [
    String(e.seq).padStart(6),
    new Date(e.ts).toISOString(),
    e.type.padEnd(18),
    (e.agent ?? '-').padEnd(12),
    (e.decision ?? '-').padEnd(5),
    e.rule ?? '-',
  ];
  return `${cols.join('  ')}${e.approval_id ? ` approval=${e.approval_id}` : ''}${short}`;
}

const filterOptions = (c: Command) =>
  c
    .option('--store <url>', 'store URL: sqlite:PATH or postgresql://... (env AIRLOCK_STORE_URL)')
    .option('--agent <name>', 'only this agent')
    .addOption(new Option('--decision <tier>', 'only this decision').choices(TIERS))
    .option('--table <name>', 'only events naming this table (schema-qualified or not)')
    .addOption(new Option('--type <type>', 'only this event type').choices(AUDIT_EVENT_TYPES))
    .option('--since <time>', 'from this ISO time on')
    .option('--until <time>', 'up to this ISO time')
    .option('--limit <n>', 'at most n events');

export function register(program: Command): void {
  const audit = program.command('audit').description('list, export and verify the audit trail');

  filterOptions(audit.command('list').description('list events, newest first (JSON lines with --json)'))
    .option('--json', 'one JSON object per line')
    .action(async (opts: FilterOpts, cmd: Command) =>
      withStore(cmd, opts, async (gw) => {
        const events = await gw.listAudit(filterFrom(opts, 100));
        process.stdout.write(events.map((e) => (opts.json ? exportLine(e) : `${formatEvent(e)}\n`)).join(''));
      }),
    );

  filterOptions(audit.command('export').description('export events oldest first, with their hashes'))
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl']).default('jsonl'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: FilterOpts & { format: string; out?: string }, cmd: Command) => {
      const filter = filterFrom(opts);
      await withStore(cmd, opts, async (gw) => {
        if (!opts.out) {
          await gw.exportAudit(process.stdout, filter);
          return;
        }
        const file = createWriteStream(opts.out);
        await new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', reject)).catch((err: Error) => {
          throw invalidParameterValue(`--out: cannot create ${opts.out}: ${err.message}`);
        });
        const n = await gw.exportAudit(file, filter);
        file.end();
        await finished(file);
        process.stderr.write(`exported ${n} events to ${opts.out}\n`);
      });
    });

  audit
    .command('verify')
    .description(
      'recompute the hash chain and hold it against the signed checkpoints; exit 1 and name the first broken seq if it does not hold',
    )
    .option('--store <url>', 'store URL: sqlite:PATH or postgresql://... (env AIRLOCK_STORE_URL)')
    .option('--head <seq:hash>', 'a head recorded elsewhere (printed by an earlier verify): the chain must still contain it')
    .option('--json', 'print the result as JSON')
    .action(async (opts: FilterOpts & { head?: string }, cmd: Command) => {
      const head = parseHead(opts.head);
      await withStore(cmd, opts, async (gw) => {
        const r = await gw.verifyAudit(head);
        printVerify(r, opts.json);
        if (!r.ok) process.exitCode = 1;
      });
    });
}
