// Cost of column masking per row, as `npm run bench -- masking` prints: a wire DataRow of six
// columns with two masked (hash and partial) rewritten by the session, against the same row passed
// through by a session without masking rules; and an MCP/HTTP result row masked by the gateway.
import { parseConfig } from '../src/config/load.js';
import { Targets } from '../src/domain/targets.js';
import { Masking } from '../src/gateway/masking.js';
import { WireMasking } from '../src/wire/row-masking.js';
import { dataRow } from '../protocol/index.js';
import type { DatabaseCatalog } from '../src/domain/decision.js';
import type { QueryResultData } from '../src/domain/request.js';

const TABLE = 16_384;
const NAMES = ['id', 'name', 'email', 'ssn', 'city', 'note'];
const TEXT = 25;

function rowDescriptionOf(table: number): Buffer {
  const parts = [Buffer.from([0, NAMES.length])];
  NAMES.forEach((n, i) => {
    const meta = Buffer.alloc(18);
    meta.writeUInt32BE(table, 0);
    meta.writeInt16BE(i + 1, 4);
    meta.writeUInt32BE(TEXT, 6);
    meta.writeInt16BE(-1, 10);
    meta.writeInt32BE(-1, 12);
    parts.push(Buffer.from(`${n}\0`), meta);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(5);
  head[0] = 0x54;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function masking(): Masking {
  const config = parseConfig({
    policy: {
      masking: {
        salt: 'bench-salt-0123456789',
        rules: [
          { name: 'e', columns: ['*.email'], mode: 'hash' },
          { name: 's', columns: ['people.ssn'], mode: 'partial', keep: 4 },
        ],
      },
    },
  });
  const origin = (column: string) => ({ schema: 'public', table: 'people', column });
  const catalog: DatabaseCatalog = {
    loaded: true,
    shadowedFunctions: new Set(),
    userOperators: new Set(),
    columns: {
      relations: new Set([TABLE, TABLE + 1]),
      covered: new Map([
        [
          TABLE,
          new Map([
            [3, origin('email')],
            [4, origin('ssn')],
          ]),
        ],
      ]),
    },
  };
  return new Masking(config, new Targets(config), () => catalog);
}

function perRow(fn: () => void, rows: number): number {
  for (let i = 0; i < rows / 10; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rows; i++) fn();
  return Number(process.hrtime.bigint() - t0) / rows;
}

export async function benchMasking(): Promise<Record<string, number>> {
  const m = masking();
  const masker = m.forAgent('bench', 'postgres')!;
  const row = dataRow(['42', 'Alice Example', 'alice@example.com', '123-45-6789', 'Lisbon', 'x'.repeat(40)]);
  const wire = new WireMasking(masker);
  const desc = rowDescriptionOf(TABLE);
  wire.fromServer(0x54, desc, 0, desc.length);
  const masked = perRow(() => wire.fromServer(0x44, row, 0, row.length), 200_000);
  // a table with no masked column: the RowDescription's plan is empty and rows pass untouched
  const plain = new WireMasking(masker);
  const other = rowDescriptionOf(TABLE + 1);
  plain.fromServer(0x54, other, 0, other.length);
  const passed = perRow(() => plain.fromServer(0x44, row, 0, row.length), 200_000);
  const fields = NAMES.map((name, i) => ({ name, dataTypeID: TEXT, tableID: TABLE, columnID: i + 1 }));
  const values = ['42', 'Alice Example', 'alice@example.com', '123-45-6789', 'Lisbon', 'x'.repeat(40)];
  const rows = Array.from({ length: 10_000 }, () => Object.fromEntries(NAMES.map((n, i) => [n, values[i]])));
  const reps = 20;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) m.result({ command: 'SELECT', rowCount: rows.length, fields, rows } as QueryResultData, masker);
  const result = Number(process.hrtime.bigint() - t0) / reps / rows.length;
  return { wire_row_masked_ns: masked, wire_row_unmasked_table_ns: passed, result_row_masked_ns: result };
}
