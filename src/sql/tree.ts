// Parse trees typed with @pgsql/types (the PostgreSQL 17 grammar libpg-query parses): a node is
// `{ Kind: fields }`; these helpers open one without giving up the types.
import type * as T from '@pgsql/types';

export type { T };

type Kinds<U> = U extends unknown ? keyof U & string : never;
/** node kind → its fields, e.g. NodeFields['ResTarget'] = T.ResTarget */
export type NodeFields = { [K in Kinds<T.Node>]: Extract<T.Node, Record<K, unknown>>[K] };
export type NodeKind = keyof NodeFields;

/** The fields of `n` when it is a node of this kind. */
export function nodeOf<K extends NodeKind>(n: unknown, kind: K): NodeFields[K] | undefined {
  if (n === null || typeof n !== 'object') return undefined;
  return (n as Record<string, unknown>)[kind] as NodeFields[K] | undefined;
}

/** `{ String: { sval } }` lists (qualified names) as plain strings. */
export const strings = (list: readonly T.Node[] | undefined): string[] => (list ?? []).map((p) => nodeOf(p, 'String')?.sval ?? '');

/** A top-level statement of a request: its node kind, its fields and its own text. */
export interface ParsedStatement {
  /** top-level node type, e.g. UpdateStmt */
  node: string;
  /** the node's own fields (see treeOf for a typed view) */
  tree: object;
  /** the statement's own text, cut from the request at the parser's byte offsets */
  text: string;
}

/** The statement's fields typed as its kind, or undefined when it is another kind. */
export function treeOf<K extends NodeKind>(s: { node: string; tree: object }, kind: K): NodeFields[K] | undefined {
  return s.node === kind ? (s.tree as NodeFields[K]) : undefined;
}
