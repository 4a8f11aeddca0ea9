// Which cells of an UPDATE preview change: the after-image row i is paired with before-image row i
// (the preview pairs them by primary key). One definition for the CLI's `*` marks, the console's
// highlighted cells and the Slack message, so they can never disagree.

/** How a cell reads when shown: NULL, JSON for objects, the string otherwise. */
export const cellText = (v: unknown): string =>
  v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** Does column `col` of after-row `i` differ from the before-image? (false without a before-image) */
export function cellChanged(
  before: readonly Record<string, unknown>[] | undefined,
  after: Record<string, unknown>,
  i: number,
  col: string,
) {
  if (!before || i >= before.length) return false;
  return cellText(before[i]?.[col]) !== cellText(after[col]);
}

/** For each after-row, the columns that changed; empty lists when there is no before-image. */
export function changedColumns(
  before: readonly Record<string, unknown>[] | undefined,
  after: readonly Record<string, unknown>[] | undefined,
): string[][] {
  return (after ?? []).map((row, i) => Object.keys(row).filter((col) => cellChanged(before, row, i, col)));
}
