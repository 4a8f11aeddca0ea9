// `airlock check`: classify SQL the way the gateway would, without running it.
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { openPolicyCheck } from '../gateway/policy-check.js';
import { formatDecision, EXIT_CODE } from './check-format.js';
import { runBatch } from './check-batch.js';
import { targetOf } from '../domain/targets.js';

export function register(program: Command): void {
  program
    .command('check')
    .description('classify SQL as auto | ask | block (exit 0 auto, 2 ask, 1 block)')
    .argument('[sql]', 'the SQL text (may hold several statements)')
    .option('--json', 'print one JSON object')
    .option('--batch', 'read JSON lines {"sql": ...} from stdin, write one JSON line per input')
    .option('--agent <name>', 'evaluate the rules for this agent')
    .option('--database <name>', 'evaluate the rules for this database')
    .action(async (sql: string | undefined, opts: { json?: boolean; batch?: boolean; agent?: string; database?: string }, cmd: Command) => {
      const config = loadConfig({ file: cmd.optsWithGlobals().config });
      const policy = await openPolicyCheck(config.policy);
      // the target serving --database (the default target without it): rules on targets and labels apply
      const target = targetOf(config, opts.database ?? '');
      const ctx = { agent: opts.agent, database: opts.database, target: target.name, label: target.label };
      if (opts.batch) {
        await runBatch(process.stdin, process.stdout, policy, ctx, config.policy.maxStatementBytes * 6 + 4096, (db) =>
          targetOf(config, db),
        );
        return;
      }
      if (sql === undefined) {
        cmd.error('airlock check: give the SQL as an argument, or use --batch with JSON lines on stdin', { exitCode: 64 });
      }
      const decision = policy.check(sql!, ctx);
      const text = opts.json ? JSON.stringify(decision) : formatDecision(decision, Boolean(process.stdout.isTTY));
      process.stdout.write(`${text}\n`);
      process.exitCode = EXIT_CODE[decision.decision];
    });
}
