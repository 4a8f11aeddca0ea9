// Result columns: what a field is, and names made unique so rows can be plain objects.

export interface FieldInfo {
  name: string;
  dataTypeID: number;
}
/** Field names made unique (RETURNING a.id, b.id) so rows can be objects without losing columns. */
export function uniqueNames(fields: FieldInfo[]): string[] {
  const seen = new Map<string, number>();
  return fields.map((f) => {
    const n = (seen.get(f.name) ?? 0) + 1;
    seen.set(f.name, n);
    return n === 1 ? f.name : `${f.name}#${n}`;
  });
}
