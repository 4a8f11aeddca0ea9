// `airlock integrations import-openapi|list|show`: write an integration definition from an OpenAPI
// document, and look at the definitions Airlock would load (the shipped ones and --dir folders).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { configError, undefinedObject } from '../errors.js';
import type { IntegrationDefinition, Tier } from '../integrations/definition.js';
import { importOpenApi, toYaml, type AuthOption } from '../integrations/openapi-import.js';
import { displayPath, readDefinitions } from '../integrations/read-definitions.js';

interface ImportFlags {
  name: string;
  baseUrl?: string;
  secret?: string;
  auth?: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

interface ReadFlags {
  dir: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const DIR_HELP = 'also read the definitions of this folder (repeatable; a later name replaces a shipped one)';

function tiers(def: IntegrationDefinition): Record<Tier, number> {
  const count: Record<Tier, number> = { auto: 0, ask: 0, block: 0 };
  for (const m of Object.values(def.methods)) count[m.tier]++;
  return count;
}

const tierText = (t: Record<Tier, number>) => `${t.auto} auto, ${t.ask} ask, ${t.block} block`;

function methodLines(def: IntegrationDefinition): string {
  const names = Object.keys(def.methods);
  const width = Math.max(6, ...names.map((n) => n.length));
  return names
    .map((n) => {
      const m = def.methods[n];
      const rules = m.rules.map((r) => `\n      when ${r.when} → ${r.tier}${r.approvals ? ` (${r.approvals} approvals)` : ''}`).join('');
      return `  ${m.tier.padEnd(5)}  ${n.padEnd(width)}  ${m.http}${rules}\n`;
    })
    .join('');
}

/** Read the definitions; problems go to stderr and make the exit code 1, the good ones are still shown. */
function read(flags: ReadFlags): IntegrationDefinition[] {
  const { definitions, errors } = readDefinitions(flags.dir);
  for (const e of errors) process.stderr.write(`airlock: ${e}\n`);
  if (errors.length) process.exitCode = 1;
  return definitions;
}

function parseAuth(auth: string | undefined): AuthOption | undefined {
  if (auth === undefined) return undefined;
  if (auth === 'bearer' || auth === 'basic' || /^(header|query):[^:\s]+$/.test(auth)) return auth as AuthOption;
  throw configError(`--auth ${auth}: expected bearer, basic, header:NAME or query:NAME`);
}

async function importCommand(spec: string, flags: ImportFlags): Promise<void> {
  const def = await importOpenApi(spec, {
    name: flags.name,
    baseUrl: flags.baseUrl,
    secret: flags.secret,
    auth: parseAuth(flags.auth),
  });
  mkdirSync(flags.out, { recursive: true });
  const file = join(flags.out, `${def.name}.yaml`);
  try {
    writeFileSync(file, toYaml(def), { flag: flags.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw configError(`${displayPath(file)} exists: pass --force to replace it`);
    throw configError(`cannot write ${displayPath(file)}: ${(err as Error).message}`);
  }
  const count = tiers(def);
  const n = Object.keys(def.methods).length;
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ file: displayPath(file), name: def.name, baseUrl: def.baseUrl, methods: n, tiers: count })}\n`,
    );
    return;
  }
  process.stdout.write(`wrote ${displayPath(file)}: ${n} methods (${tierText(count)}), base URL ${def.baseUrl}\n${methodLines(def)}`);
  process.stderr.write('review the tiers and argument schemas before use: they come from the HTTP verbs, not from what the calls do\n');
}

function listCommand(flags: ReadFlags): void {
  const defs = read(flags).sort((a, b) => a.name.localeCompare(b.name));
  if (flags.json) {
    for (const d of defs) {
      const line = {
        name: d.name,
        title: d.title,
        baseUrl: d.baseUrl,
        auth: d.auth.type,
        methods: Object.keys(d.methods).length,
        tiers: tiers(d),
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    return;
  }
  if (!defs.length) process.stdout.write('no integrations\n');
  const width = Math.max(4, ...defs.map((d) => d.name.length));
  for (const d of defs) {
    const n = Object.keys(d.methods).length;
    process.stdout.write(`${d.name.padEnd(width)}  ${String(n).padStart(3)} methods (${tierText(tiers(d))})  ${d.baseUrl}\n`);
  }
}

function showCommand(name: string, flags: ReadFlags): void {
  const def = read(flags).find((d) => d.name === name);
  if (!def) throw undefinedObject(`no integration named ${JSON.stringify(name)} (see airlock integrations list)`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(def)}\n`);
    return;
  }
  const auth = def.auth.type === 'none' ? 'none' : `${def.auth.type} (vault secret ${def.auth.secret})`;
  const lines = [
    `${def.name}${def.title ? ` — ${def.title}` : ''}`,
    ...(def.description ? [`  ${def.description}`] : []),
    `  base URL: ${def.baseUrl}`,
    `  auth:     ${auth}`,
    `  body:     ${def.bodyEncoding}${def.idempotencyHeader ? `, idempotency header ${def.idempotencyHeader}` : ''}`,
    ...(def.source ? [`  source:   ${def.source.openapi} (sha256 ${def.source.sha256.slice(0, 12)}…)`] : []),
    `  methods:  ${Object.keys(def.methods).length} (${tierText(tiers(def))})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n${methodLines(def)}`);
}

export function register(program: Command): void {
  const integrations = program.command('integrations').description('import, list and show the API integrations agents can call');

  integrations
    .command('import-openapi')
    .description('write DIR/NAME.yaml from an OpenAPI 3.0/3.1 or Swagger 2 document (GET auto, POST/PUT/PATCH ask, DELETE block)')
    .argument('<spec>', 'the OpenAPI document: a file or an http(s) URL')
    .requiredOption('--name <name>', 'the integration name (lower case letters, digits, _)')
    .option('--base-url <url>', "the API's base URL (default: the document's servers, resolved against its URL)")
    .option('--secret <name>', 'the vault secret holding the credentials (default <name>_api_key when --auth is given)')
    .option('--auth <scheme>', 'how the secret is sent: bearer | basic | header:NAME | query:NAME (default bearer with --secret)')
    .option('--out <dir>', 'the folder to write to', './integrations')
    .option('--force', 'replace an existing file')
    .option('--json', 'print {"file", "name", "baseUrl", "methods", "tiers"}')
    .action(async (spec: string, flags: ImportFlags) => importCommand(spec, flags));

  integrations
    .command('list')
    .description('list the integrations (shipped, then --dir folders); exit 1 if a file is invalid')
    .option('--dir <dir>', DIR_HELP, collect, [] as string[])
    .option('--json', 'one JSON object per line')
    .action((flags: ReadFlags) => listCommand(flags));

  integrations
    .command('show')
    .description('show one integration: base URL, auth, methods and their tiers')
    .argument('<name>', 'the integration name')
    .option('--dir <dir>', DIR_HELP, collect, [] as string[])
    .option('--json', 'print the whole definition as JSON')
    .action((name: string, flags: ReadFlags) => showCommand(name, flags));
}
