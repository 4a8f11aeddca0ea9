// The CLI commands, each in its own module exporting `register(program)`. Modules are imported on
// demand so `airlock check` does not pay for loading the store, queue and HTTP stacks.
import type { Command } from 'commander';

type Loader = () => Promise<{ register: (program: Command) => void }>;

export const COMMANDS: Record<string, Loader> = {
  check: () => import('./check.js'),
  migrate: () => import('./migrate.js'),
  audit: () => import('./audit.js'),
  agents: () => import('./agents.js'),
  reviewers: () => import('./reviewers.js'),
  approvals: () => import('./approvals.js'),
  standing: () => import('./standing.js'),
  serve: () => import('./serve.js'),
  demo: () => import('./demo.js'),
  mcp: () => import('./mcp.js'),
  vault: () => import('./vault.js'),
  call: () => import('./call.js'),
  integrations: () => import('./integrations.js'),
  doctor: () => import('./doctor.js'),
  'setup-role': () => import('./setup-role.js'),
};

/** The command named on the command line (after global options), if any. */
export function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c' || a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** Register the named command only, or every command (for help and unknown names). */
export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const name = commandName(argv);
  if (!name && argv.some((a) => a === '-V' || a === '--version')) return; // answered by the program itself
  const names = name && name in COMMANDS ? [name] : Object.keys(COMMANDS);
  for (const n of names) (await COMMANDS[n]()).register(program);
}
