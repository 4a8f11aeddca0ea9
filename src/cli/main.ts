// Entry point of the `airlock` command: one file per command, registered here.
import { Command, CommanderError } from 'commander';
import { AirlockError } from '../errors.js';
import { registerCommands } from './commands.js';

const program = new Command('airlock')
  .description('A gateway that lets AI agents use databases and APIs without being able to wreck them')
  .option('-c, --config <file>', 'config file (airlock.yaml); env AIRLOCK_CONFIG')
  .showHelpAfterError()
  .exitOverride();

try {
  await registerCommands(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 64);
  const message = err instanceof AirlockError ? err.message : ((err as Error)?.stack ?? String(err));
  process.stderr.write(`airlock: ${message}\n`);
  process.exit(1);
}
