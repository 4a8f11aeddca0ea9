// Which upstream serves a database: the target that lists it (config `targets:`), else `upstream`
// (the target named `default`, labelled `upstream.label`). Names are unique and a database belongs
// to one target at most (config/schema.ts checks both at start), so the choice is never ambiguous.
import type { AirlockConfig } from '../config/schema.js';
import { invalidParameterValue, undefinedObject } from '../errors.js';

export interface Target {
  name: string;
  label: string;
  url: string;
}

export const DEFAULT_TARGET = 'default';

export class Targets {
  private readonly byDatabase = new Map<string, Target>();
  readonly fallback: Target;
  readonly all: readonly Target[];

  constructor(config: Pick<AirlockConfig, 'targets' | 'upstream'>) {
    this.fallback = { name: DEFAULT_TARGET, label: config.upstream.label, url: config.upstream.url };
    const listed = config.targets.map((t) => ({ target: { name: t.name, label: t.label, url: t.url }, databases: t.databases }));
    for (const { target, databases } of listed) for (const db of databases) this.byDatabase.set(db, target);
    this.all = [this.fallback, ...listed.map((l) => l.target)];
  }

  /** The target serving a database. */
  of(database: string): Target {
    return this.byDatabase.get(database) ?? this.fallback;
  }

  /** The databases each target lists (the default target serves every other name). */
  listed(): { database: string; target: Target }[] {
    return [...this.byDatabase].map(([database, target]) => ({ database, target }));
  }

  get several(): boolean {
    return this.byDatabase.size > 0;
  }
}

/** The target serving a database, straight from the config (for code that has no Targets at hand). */
export function targetOf(config: Pick<AirlockConfig, 'targets' | 'upstream'>, database: string): Target {
  const t = config.targets.find((x) => x.databases.includes(database));
  return t
    ? { name: t.name, label: t.label, url: t.url }
    : { name: DEFAULT_TARGET, label: config.upstream.label, url: config.upstream.url };
}

/**
 * The database a tool call names by `database` and/or `target`: a target alone means its first
 * database (the default target: the gateway's default database); both must agree.
 */
export function databaseOf(
  config: Pick<AirlockConfig, 'targets' | 'upstream'>,
  where: { database?: string; target?: string },
  defaultDatabase: string,
): string {
  const { database, target } = where;
  if (target === undefined) return database ?? defaultDatabase;
  const listed = config.targets.find((t) => t.name === target);
  if (!listed && target !== DEFAULT_TARGET) {
    const names = [DEFAULT_TARGET, ...config.targets.map((t) => t.name)].join(', ');
    throw undefinedObject(`no target named "${target}" (targets: ${names})`);
  }
  if (database === undefined) return listed ? listed.databases[0] : defaultDatabase;
  const serving = targetOf(config, database).name;
  if (serving !== target) throw invalidParameterValue(`database "${database}" is served by target "${serving}", not "${target}"`);
  return database;
}
