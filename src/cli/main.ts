// Entry point of the `airlock` command: one file per command, registered here.
import { Command, CommanderError } from 'commander';
import { commandName, registerCommands } from './commands.js';
import { setLogLevel } from '../logger.js';
import { describeFailure } from './fatal.js';
import { packageVersion } from './package-root.js';

const program = new Command('airlock')
  .description('A gateway that lets AI agents use databases and APIs without being able to wreck them')
  .version(packageVersion(), '-V, --version', 'print the version')
  .option('-c, --config <file>', 'config file (airlock.yaml); env AIRLOCK_CONFIG')
  .showHelpAfterError()
  .exitOverride();

// info lines (migrations, checkpoints) are for the long-running server; other commands say what they did
if (!process.env.AIRLOCK_LOG_LEVEL && commandName(process.argv.slice(2)) !== 'serve') {
  setLogLevel('warn'); // worker threads (the audit writer) start their own logger and read it too
}

try {
  await registerCommands(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 64);
  process.stderr.write(`airlock: ${describeFailure(err)}\n`);
  process.exit(1);
}
