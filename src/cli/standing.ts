// `airlock standing list|revoke`: the standing approvals ("always allow") reviewers made with
// `airlock approvals always`, and taking one back.
import type { Command } from 'commander';
import { withAdmin, storeOption, out, printList, type CommonFlags } from './context.js';
import { reviewerName } from './approvals.js';
import { renderStanding } from './approvals-format.js';

export function register(program: Command): void {
  const standing = program.command('standing').description('standing approvals ("always allow"): list and revoke');

  standing
    .command('list')
    .description('standing approvals, newest first (active ones unless --all)')
    .option('--agent <name>', 'only this agent')
    .option('--all', 'revoked, expired and used-up ones too')
    .option(...storeOption)
    .option('--json', 'JSON lines')
    .action(async (flags: CommonFlags & { agent?: string; all?: boolean }, cmd: Command) => {
      await withAdmin(cmd, flags, async (gw) => {
        const rows = await gw.listStanding({ agent: flags.agent, all: flags.all === true, limit: 1000 });
        printList(rows, flags.json, renderStanding, 'no standing approvals');
      });
    });

  standing
    .command('revoke')
    .argument('<id>', 'standing approval id')
    .description('it approves nothing from now on (what it approved stands)')
    .option('--as <reviewer>', 'reviewer name; env AIRLOCK_REVIEWER')
    .option(...storeOption)
    .option('--json', 'one JSON document')
    .action(async (id: string, flags: CommonFlags & { as?: string }, cmd: Command) => {
      const reviewer = reviewerName(flags);
      await withAdmin(cmd, flags, async (gw) => {
        const s = await gw.revokeStanding(id, reviewer);
        out(flags.json ? JSON.stringify(s) : `revoked ${s.id} (used ${s.uses} time(s))`);
      });
    });
}
