// Result columns: what a field is, and names made unique so rows can be plain objects.

export interface FieldInfo {
  name: string;
  dataTypeID: number;
  /** where the column comes from (RowDescription): relation OID and attribute number, 0 for an expression */
  tableID?: number;
  columnID?: number;
}

/** The parts of a pg field description a result keeps. */
export const fieldInfo = (f: FieldInfo): FieldInfo => ({
  name: f.name,
  dataTypeID: f.dataTypeID,
  tableID: f.tableID ?? 0,
  columnID: f.columnID ?? 0,
});
/** Field names made unique (RETURNING a.id, b.id) so rows can be objects without losing columns. */
export function uniqueNames(fields: FieldInfo[]): string[] {
  const seen = new Map<string, number>();
  return fields.map((f) => {
    const n = (seen.get(f.name) ?? 0) + 1;
    seen.set(f.name, n);
    return n === 1 ? f.name : `${f.name}#${n}`;
  });
}
