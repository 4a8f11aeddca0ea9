// `airlock approvals list|show|approve|deny`: the reviewer's CLI, acting on the shared store.
import { Option, type Command } from 'commander';
import type { ApprovalRecord } from '../domain/approval.js';
import { APPROVAL_STATUSES, type ApprovalStatus } from '../domain/approval.js';
import { invalidParameterValue } from '../errors.js';
import { withAdmin, storeOption, type CommonFlags } from './context.js';
import { renderApproval, renderApprovalLine } from './approvals-format.js';

interface Flags extends CommonFlags {
  status?: string;
  agent?: string;
  as?: string;
  comment?: string;
  limit?: string;
}

const out = (text: string) => process.stdout.write(`${text}\n`);

function reviewerName(flags: Flags): string {
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
        if (flags.json) for (const r of rows) out(JSON.stringify(r));
        else out(rows.length ? rows.map(renderApprovalLine).join('\n') : 'no approvals');
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
}
