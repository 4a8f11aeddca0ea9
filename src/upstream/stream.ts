// Run one statement and see its rows one at a time, as PostgreSQL's text output, without
// buffering them all: previews of million-row UPDATEs keep only a few rows plus a hash.
import pg from 'pg';
import type { PoolClient } from 'pg';
import { type FieldInfo, fieldInfo, uniqueNames } from '../domain/columns.js';

export type RawRow = (string | null)[];
export { uniqueNames, type FieldInfo };

export interface StreamResult {
  command: string;
  rowCount: number | null;
  fields: FieldInfo[];
}

/** Every column comes back as the exact text PostgreSQL sent (no lossy Date/number parsing). */
export const RAW_TYPES = { getTypeParser: () => (value: string) => value } as const;

export interface StreamOptions {
  /** true: PostgreSQL's text; false: pg's default JS parsing */
  raw?: boolean;
}

/**
 * Extended protocol always: PostgreSQL then refuses a second statement hidden in the text,
 * so what was parsed and checked is exactly what runs.
 */
export function streamQuery(
  client: PoolClient,
  text: string,
  values: unknown[] | undefined,
  onRow: (row: RawRow, fields: FieldInfo[]) => void,
  opts: StreamOptions = {},
): Promise<StreamResult> {
  const query = new pg.Query({
    text,
    values: values ?? [],
    rowMode: 'array',
    queryMode: 'extended',
    ...(opts.raw === false ? {} : { types: RAW_TYPES }),
  } as pg.QueryConfig);
  let fields: FieldInfo[] = [];
  return new Promise<StreamResult>((resolve, reject) => {
    query.on('row', (row: RawRow, result?: { fields: FieldInfo[] }) => {
      if (fields.length === 0 && result?.fields.length) fields = result.fields.map(fieldInfo);
      onRow(row, fields);
    });
    query.on('error', reject);
    query.on('end', (result: { command: string; rowCount: number | null; fields: FieldInfo[] }) => {
      resolve({
        command: result.command,
        rowCount: result.rowCount,
        fields: result.fields.map(fieldInfo),
      });
    });
    client.query(query);
  });
}

export function toObject(names: string[], row: RawRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) out[names[i]] = row[i];
  return out;
}

/** The transaction state PostgreSQL reported last ('I' idle, 'T' in a block, 'E' failed). */
export function txStatus(client: PoolClient): string | null {
  return (client as unknown as { _txStatus?: string | null })._txStatus ?? null;
}
