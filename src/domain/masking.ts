// Column masking, the pure part: which columns a rule covers (by `schema.table.column` patterns),
// and what an agent sees in place of a value (which rules apply to whom: ruleApplies in decision.ts).
import { hash } from 'node:crypto';
import type { MaskMode, MaskRule } from '../config/schema.js';
import { globMatch } from './glob.js';

/** A rule's column pattern split into its parts; null parts match anything. */
export interface ColumnPattern {
  schema: string | null;
  table: string | null;
  column: string;
}

export function parseColumnPattern(p: string): ColumnPattern {
  const parts = p.split('.');
  const column = parts[parts.length - 1];
  if (parts.length === 1) return { schema: null, table: null, column };
  if (parts.length === 2) return { schema: null, table: parts[0], column };
  return { schema: parts[0], table: parts[1], column };
}

/** A statement's table (`name` or `schema.name` as written): could it be the pattern's table? Unqualified names match any schema. */
export function patternTable(p: ColumnPattern, table: string): boolean {
  if (p.table === null) return true;
  const dot = table.indexOf('.');
  const schema = dot < 0 ? null : table.slice(0, dot);
  const name = dot < 0 ? table : table.slice(dot + 1);
  return globMatch(p.table, name) && (p.schema === null || schema === null || globMatch(p.schema, schema));
}

/** Does the pattern cover this column of this relation (both known, as in the catalog)? */
export const patternCovers = (p: ColumnPattern, schema: string, table: string, column: string): boolean =>
  globMatch(p.column, column) && (p.table === null || globMatch(p.table, table)) && (p.schema === null || globMatch(p.schema, schema));

/** A rule with its patterns parsed once. */
export interface CompiledMaskRule {
  rule: MaskRule;
  patterns: ColumnPattern[];
  mask: MaskText;
}

/** What replaces one text value. */
export type MaskText = (value: string) => string;

export const REDACTED = '[redacted]';

export function maskText(mode: MaskMode, keep: number, salt: string): MaskText {
  if (mode === 'redact') return () => REDACTED;
  // sha256 of the secret salt and the value, cut to 64 bits: one-shot hashing is ~6× cheaper than an HMAC object per value
  if (mode === 'hash') {
    const prefix = salt + '\0';
    return (v) => 'h:' + hash('sha256', prefix + v).slice(0, 16);
  }
  return (v) => {
    // a value no longer than what would be kept is hidden whole
    const chars = Array.from(v);
    const shown = chars.length > keep ? keep : 0;
    return '*'.repeat(chars.length - shown) + chars.slice(chars.length - shown).join('');
  };
}

export function compileMaskRules(rules: readonly MaskRule[], salt: string): CompiledMaskRule[] {
  return rules.map((rule) => ({ rule, patterns: rule.columns.map(parseColumnPattern), mask: maskText(rule.mode, rule.keep, salt) }));
}

/**
 * Types whose text form a mode may rewrite (text, varchar, bpchar, name, unknown). Any other type,
 * and any value in binary format, becomes NULL: a rewritten number or date would not parse.
 */
export const TEXT_TYPE_OIDS: ReadonlySet<number> = new Set([25, 1043, 1042, 19, 705]);

/** The agent-visible form of one column value. */
export function maskValue(mask: MaskText, dataTypeID: number, binary: boolean, value: string | null): string | null {
  if (value === null) return null;
  if (binary || !TEXT_TYPE_OIDS.has(dataTypeID)) return null;
  return mask(value);
}

/** A result column as the doors see it (RowDescription). */
export interface FieldOrigin {
  name: string;
  tableID?: number;
  columnID?: number;
  dataTypeID: number;
}

/** One agent's masking on one database: which columns of a result it masks, and how. */
export interface ColumnMasker {
  /** per field, the mask of its values (null: shown); null when no field is masked */
  plan(fields: readonly FieldOrigin[]): (MaskText | null)[] | null;
  /** the mask of a column named `column` of the table `table` as a statement names it (previews), or null */
  ofTableColumn(table: string, column: string): MaskText | null;
}
