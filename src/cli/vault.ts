// `airlock vault set|list|delete`: integration credentials, encrypted with AES-256-GCM under the
// master key. A value is read from stdin only (never argv, which other users can see in `ps`), and
// no command ever prints one.
import type { Command } from 'commander';
import { invalidParameterValue } from '../errors.js';
import { safeUser, storeOption, withAdmin, type CommonFlags } from './context.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  // one trailing newline (echo, a here-string) is not part of the secret
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function register(program: Command): void {
  const vault = program.command('vault').description('integration credentials: set (from stdin), list (names only), delete');

  vault
    .command('set')
    .description('store a secret read from stdin, e.g. `printf %s "$STRIPE_KEY" | airlock vault set stripe_api_key`')
    .argument('<name>', 'secret name, as integrations name it (auth.secret)')
    .option(...storeOption)
    .action(async (name: string, opts: CommonFlags, cmd: Command) => {
      if (process.stdin.isTTY) process.stderr.write(`value for ${name} (end with Ctrl-D): `);
      const value = await readStdin();
      if (!value) throw invalidParameterValue('no value on stdin: the secret is read from stdin, never from the command line');
      await withAdmin(cmd, opts, async (gw) => {
        const { keySource, keyCreated } = await gw.setSecret(name, value, safeUser());
        if (keyCreated)
          process.stderr.write(`created the vault master key ${keySource} (mode 0600): back it up; without it the vault cannot be read\n`);
        process.stdout.write(`stored secret ${name} (encrypted)\n`);
      });
    });

  vault
    .command('list')
    .description('secret names and dates, never values')
    .option(...storeOption)
    .option('--json', 'one JSON object per line')
    .action(async (opts: CommonFlags, cmd: Command) =>
      withAdmin(cmd, opts, async (gw) => {
        const list = await gw.listSecrets();
        if (opts.json) return void process.stdout.write(list.map((s) => `${JSON.stringify(s)}\n`).join(''));
        if (!list.length) process.stdout.write('no secrets\n');
        const width = Math.max(4, ...list.map((s) => s.name.length));
        for (const s of list) {
          process.stdout.write(
            `${s.name.padEnd(width)}  created ${new Date(s.createdAt).toISOString()}  updated ${new Date(s.updatedAt).toISOString()}\n`,
          );
        }
      }),
    );

  vault
    .command('delete')
    .description('delete a secret')
    .argument('<name>', 'secret name')
    .option(...storeOption)
    .action(async (name: string, opts: CommonFlags, cmd: Command) =>
      withAdmin(cmd, opts, async (gw) => {
        if (!(await gw.deleteSecret(name, safeUser()))) {
          process.stderr.write(`no secret named ${name}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`deleted secret ${name}\n`);
      }),
    );
}
