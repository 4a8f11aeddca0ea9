// `*` patterns for names (databases, tables, columns): case-insensitive, compiled once per pattern.

const compiled = new Map<string, RegExp>();

/** The pattern as a regular expression: `*` is any run of characters, everything else literal. */
export function globRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'is');
    if (compiled.size < 10_000) compiled.set(pattern, re);
  }
  return re;
}

export const globMatch = (pattern: string, name: string): boolean => globRegExp(pattern).test(name);
