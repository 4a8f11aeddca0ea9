// `airlock approvals list|show|approve|deny|always|revert`: the reviewer's CLI, acting on the shared
// store (a serving gateway picks approved work up from it).
import { Option, type Command } from 'commander';
import type { ApprovalRecord } from '../domain/approval.js';
import { APPROVAL_STATUSES, type ApprovalStatus } from '../domain/approval.js';
import { invalidParameterValue } from '../errors.js';
import { withAdmin, storeOption, out, printList, type CommonFlags } from './context.js';
import { renderApproval, renderApprovalLine, renderStanding } from './approvals-format.js';
import { parseDuration } from '../domain/duration.js';

interface Flags extends CommonFlags {
  status?: string;
  agent?: string;
  as?: string;
  comment?: string;
  limit?: string;
  condition?: string;
  expires?: string;
  maxUses?: string;
}

export function reviewerName(flags: { as?: string }): string {
  const name = flags.as ?? process.env.AIRLOCK_REVIEWER ?? process.env.USER;
  if (!name) throw invalidParameterValue('say who is reviewing with --as NAME (or AIRLOCK_REVIEWER)');
  return name;
}

export function register(program: Command): void {
  const approvals = program.command('approvals').description('review held requests');

  approvals
    .command('list')
    .description('list approvals (newest first)')
    .addOption(new Option('--status <status>', 'only approvals in this state').choices(APPROVAL_STATUSES))
    .option('--agent <name>', 'only this agent')
    .option('--limit <n>', 'at most n', '100')
    .option(...storeOption)
    .option('--json', 'JSON lines')
    .action(async (flags: Flags, cmd: Command) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw invalidParameterValue('--limit must be a positive integer');
      await withAdmin(cmd, flags, async (gw) => {
        const rows = await gw.listApprovals({ status: flags.status as ApprovalStatus | undefined, agent: flags.agent, limit });
        printList(rows, flags.json, renderApprovalLine, 'no approvals');
      });
    });

  approvals
    .command('show')
    .argument('<id>', 'approval id')
    .description('show the SQL, the preview rows and the before/after diff')
    .option(...storeOption)
    .option('--json', 'one JSON document')
    .action(async (id: string, flags: Flags, cmd: Command) => {
      await withAdmin(cmd, flags, async (gw) => {
        const rec = await gw.getApproval(id);
        out(flags.json ? JSON.stringify(rec) : renderApproval(rec, gw.reviewUrl(rec.id)));
      });
    });

  for (const action of ['approve', 'deny'] as const) {
    approvals
      .command(action)
      .argument('<id>', 'approval id')
      .description(action === 'approve' ? 'approve (the last required vote queues it for execution)' : 'deny; nothing runs')
      .option('--as <reviewer>', 'reviewer name; env AIRLOCK_REVIEWER')
      .option('--comment <text>', 'a note kept with the decision')
      .option(...storeOption)
      .option('--json', 'one JSON document')
      .action(async (id: string, flags: Flags, cmd: Command) => {
        await withAdmin(cmd, flags, async (gw) => {
          const reviewer = reviewerName(flags);
          const rec: ApprovalRecord =
            action === 'approve' ? await gw.approve(id, reviewer, flags.comment) : await gw.deny(id, reviewer, flags.comment);
          out(flags.json ? JSON.stringify(rec) : `${rec.id} ${rec.status} (${rec.approvals.length}/${rec.requiredApprovals} approvals)`);
        });
      });
  }

  approvals
    .command('always')
    .argument('<id>', 'approval id')
    .description(
      "always allow: a standing approval for this agent's later requests of the same shape (statement fingerprint, or API method); a pending approval is approved too",
    )
    .option('--condition <cel>', 'CEL that must be true: params, literals, rows_affected, rows, tables (SQL); args (API)')
    .option('--expires <duration>', 'ends after this long, e.g. 24h, 7d')
    .option('--max-uses <n>', 'approves at most n requests')
    .option('--as <reviewer>', 'reviewer name; env AIRLOCK_REVIEWER')
    .option('--comment <text>', 'a note kept with it')
    .option(...storeOption)
    .option('--json', 'one JSON document')
    .action(async (id: string, flags: Flags, cmd: Command) => {
      const reviewer = reviewerName(flags);
      const expiresAt = flags.expires !== undefined ? Date.now() + parseDuration(flags.expires, '--expires') : undefined;
      const maxUses = flags.maxUses !== undefined ? Number(flags.maxUses) : undefined;
      if (maxUses !== undefined && (!Number.isInteger(maxUses) || maxUses < 1))
        throw invalidParameterValue('--max-uses must be a positive integer');
      await withAdmin(cmd, flags, async (gw) => {
        const s = await gw.alwaysAllow(id, reviewer, { condition: flags.condition, expiresAt, maxUses, comment: flags.comment });
        out(flags.json ? JSON.stringify(s) : `standing approval ${s.id} made from ${id}\n${renderStanding(s)}`);
      });
    });

  approvals
    .command('revert')
    .argument('<id>', 'id of an executed approval (an UPDATE or INSERT)')
    .description('a new approval that restores the rows it changed; runs only while they are as it left them')
    .option('--as <reviewer>', 'reviewer name; env AIRLOCK_REVIEWER')
    .option('--comment <text>', 'a note kept with the revert')
    .option(...storeOption)
    .option('--json', 'one JSON document')
    .action(async (id: string, flags: Flags, cmd: Command) => {
      await withAdmin(cmd, flags, async (gw) => {
        const rec = await gw.revertApproval(id, reviewerName(flags), flags.comment);
        out(
          flags.json
            ? JSON.stringify(rec)
            : `${rec.id} ${rec.status} (${rec.approvals.length}/${rec.requiredApprovals} approvals): revert of ${id}, ${rec.preview?.affectedRows ?? 0} row(s)`,
        );
      });
    });
}
