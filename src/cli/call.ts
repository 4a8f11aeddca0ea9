// `airlock call INTEGRATION METHOD --arg k=v …`: one API call as an agent (its token from --token or
// AIRLOCK_AGENT_TOKEN), through the same policy, approvals and audit as every other door.
// Exit status: 0 done, 2 pending (held for approval), 1 blocked, denied or failed.
import type { Command } from 'commander';
import { invalidAuthorization, invalidParameterValue } from '../errors.js';
import { storeOption, withGateway, type CommonFlags } from './context.js';

/** k=v; a value that reads as JSON (number, true, {"a":1}, [1]) is taken as JSON, else as text. */
function parseArg(pair: string, previous: Record<string, unknown>): Record<string, unknown> {
  const i = pair.indexOf('=');
  if (i <= 0) throw invalidParameterValue(`--arg expects key=value, got ${JSON.stringify(pair)}`);
  const raw = pair.slice(i + 1);
  let value: unknown = raw;
  if (/^(-?\d+(\.\d+)?|true|false|null|\{.*\}|\[.*\])$/s.test(raw)) {
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
  }
  return { ...previous, [pair.slice(0, i)]: value };
}

export function register(program: Command): void {
  program
    .command('call')
    .description('call an integration method as an agent (exit 0 done, 2 pending, 1 blocked/denied/failed)')
    .argument('<integration>', 'integration name, e.g. stripe')
    .argument('<method>', 'method name, e.g. list_customers')
    .option('--arg <key=value>', 'an argument (repeatable); JSON values are parsed', parseArg, {})
    .option('--token <token>', 'the agent token; env AIRLOCK_AGENT_TOKEN')
    .option(...storeOption)
    .option('--json', 'print the outcome as JSON')
    .action(
      async (integration: string, method: string, opts: CommonFlags & { arg: Record<string, unknown>; token?: string }, cmd: Command) => {
        const token = opts.token ?? process.env.AIRLOCK_AGENT_TOKEN;
        if (!token) throw invalidAuthorization('an agent token is needed: --token or AIRLOCK_AGENT_TOKEN');
        await withGateway(cmd, opts, async (gw) => {
          const agent = await gw.authenticateToken(token, 'cli', 'cli');
          if (!agent) throw invalidAuthorization('agent token unknown or revoked');
          const o = await gw.callApi({ agent, door: 'cli', integration, method, args: opts.arg });
          const out =
            o.status === 'done'
              ? { status: 'done', response: o.response }
              : o.status === 'pending'
                ? { status: 'pending', approval_id: o.approvalId, review_url: o.reviewUrl, request: o.request }
                : { status: o.status, error: { code: o.error.code, message: o.error.message }, rule: o.decision?.rule };
          if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
          else if (o.status === 'done') process.stdout.write(`${o.response.status}\n${JSON.stringify(o.response.body, null, 2)}\n`);
          else if (o.status === 'pending') process.stdout.write(`pending approval ${o.approvalId}\n  review: ${o.reviewUrl}\n`);
          else process.stderr.write(`airlock: ${o.status}: ${o.error.message}\n`);
          process.exitCode = o.status === 'done' ? 0 : o.status === 'pending' ? 2 : 1;
        });
      },
    );
}
