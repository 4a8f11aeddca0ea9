// `airlock reviewers add|list|remove`: the console's sign-in accounts. The password is read from
// stdin (never an argument, which `ps` and shell history would show) and stored as an scrypt hash.
import type { Command } from 'commander';
import { invalidParameterValue } from '../errors.js';
import { safeUser, withAdmin, storeOption, type CommonFlags } from './context.js';

/** A terminal gets a prompt without echo; a pipe gives its first line. */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write('Password: ');
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    try {
      for await (const chunk of stdin) {
        for (const ch of String(chunk)) {
          if (ch === '\r' || ch === '\n') return typed;
          if (ch === '\u0003') throw invalidParameterValue('cancelled');
          typed = ch === '\u007f' ? typed.slice(0, -1) : typed + ch;
        }
      }
    } finally {
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    }
    return typed;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line) throw invalidParameterValue('no password on stdin: pipe it in, e.g. `printf %s "$PW" | airlock reviewers add NAME`');
  return line;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function register(program: Command): void {
  const reviewers = program.command('reviewers').description('console sign-in accounts: reviewers and admins');

  reviewers
    .command('add')
    .description('add a reviewer; the password is read from stdin (at least 8 characters)')
    .argument('<name>', 'reviewer name (shown on every decision)')
    .option('--admin', 'may also create and revoke agents in the console')
    .option(...storeOption)
    .option('--json', 'print the account as JSON')
    .action(async (name: string, flags: CommonFlags & { admin?: boolean }, cmd: Command) => {
      const password = await readPassword();
      await withAdmin(cmd, flags, async (gw) => {
        const rec = await gw.addReviewer(name, password, { admin: flags.admin === true, by: safeUser() });
        if (flags.json) process.stdout.write(`${JSON.stringify(rec)}\n`);
        else process.stdout.write(`added ${rec.admin ? 'admin' : 'reviewer'} ${rec.name}\n`);
      });
    });

  reviewers
    .command('list')
    .description('list reviewer accounts (one JSON object per line with --json)')
    .option(...storeOption)
    .option('--json', 'one JSON object per line')
    .action(async (flags: CommonFlags, cmd: Command) =>
      withAdmin(cmd, flags, async (gw) => {
        const list = await gw.listReviewers();
        if (flags.json) {
          process.stdout.write(list.map((r) => `${JSON.stringify(r)}\n`).join(''));
          return;
        }
        if (!list.length) process.stdout.write('no reviewers\n');
        const width = Math.max(4, ...list.map((r) => r.name.length));
        for (const r of list)
          process.stdout.write(`${r.name.padEnd(width)}  ${r.admin ? 'admin   ' : 'reviewer'}  created ${iso(r.createdAt)}\n`);
      }),
    );

  reviewers
    .command('remove')
    .description('remove a reviewer account and end its console sessions')
    .argument('<name>', 'reviewer name')
    .option(...storeOption)
    .option('--json', 'print the removed account as JSON')
    .action(async (name: string, flags: CommonFlags, cmd: Command) =>
      withAdmin(cmd, flags, async (gw) => {
        const rec = await gw.removeReviewer(name, safeUser());
        if (flags.json) process.stdout.write(`${JSON.stringify(rec)}\n`);
        else process.stdout.write(`removed reviewer ${rec.name}\n`);
      }),
    );
}
