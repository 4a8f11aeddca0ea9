// Read integration definitions from YAML files: the ones shipped in the package's integrations/
// folder, then those of the given folders (a later file with the same `name` replaces an earlier
// one). Only parsing and the zod schema here; CEL conditions and argument schemas are compiled by
// the loader that serves them. An error names the file and the key path.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { formatIssues } from '../domain/issues.js';
import { integrationSchema, type IntegrationDefinition } from './definition.js';

export interface ReadResult {
  definitions: IntegrationDefinition[];
  /** one line per problem: `integrations/x.yaml: methods.create_refund.tier: Invalid option ...` */
  errors: string[];
}

/**
 * The shipped folder: the repository's integrations/ seen from src/integrations (tsx, vitest) or
 * from dist/src/integrations (the build), whichever exists first.
 */
export function shippedDir(): string | undefined {
  for (const up of ['../../integrations/', '../../../integrations/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, 'README.md'))) return dir;
  }
  return undefined;
}

/** A path as the user will recognise it: relative to the working directory when below it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

const isYaml = (f: string) => /\.ya?ml$/i.test(f);

/** The definitions of one folder, in file-name order; problems go to `errors`. */
function readDir(dir: string, errors: string[]): IntegrationDefinition[] {
  let files: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    files = readdirSync(dir).filter(isYaml).sort();
  } catch (err) {
    errors.push(`${displayPath(dir)}: cannot read the folder: ${(err as Error).message}`);
    return [];
  }
  const seen = new Map<string, string>();
  const out: IntegrationDefinition[] = [];
  for (const f of files) {
    const file = join(dir, f);
    const shown = displayPath(file);
    const def = readFile(file, shown, errors);
    if (!def) continue;
    const earlier = seen.get(def.name);
    if (earlier) {
      errors.push(`${shown}: name: ${JSON.stringify(def.name)} is also the name of ${earlier} (one file per integration)`);
      continue;
    }
    seen.set(def.name, shown);
    out.push(def);
  }
  return out;
}

function readFile(file: string, shown: string, errors: string[]): IntegrationDefinition | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    errors.push(`${shown}: cannot read: ${(err as Error).message}`);
    return undefined;
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    errors.push(...doc.errors.map((e) => `${shown}: not valid YAML: ${e.message.split('\n')[0]}`));
    return undefined;
  }
  const result = integrationSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!result.success) {
    errors.push(
      ...formatIssues(result.error.issues)
        .split('\n')
        .map((line) => `${shown}: ${line}`),
    );
    return undefined;
  }
  return result.data;
}

/**
 * The shipped definitions, then those of `dirs` in order; a later `name` replaces an earlier one.
 * `shipped` picks which shipped ones to include (default all; `airlock serve` serves only those
 * the config enables, so an agent never sees tools for an API nobody configured).
 */
export function readDefinitions(dirs: string[], shipped: (name: string) => boolean = () => true): ReadResult {
  const errors: string[] = [];
  const byName = new Map<string, IntegrationDefinition>();
  const dir = shippedDir();
  if (dir) for (const def of readDir(dir, errors)) if (shipped(def.name)) byName.set(def.name, def);
  for (const d of dirs) for (const def of readDir(d, errors)) byName.set(def.name, def);
  return { definitions: [...byName.values()], errors };
}
