// Issue 16, item 2 through MCP: the agent's caps hold whatever the tool arguments ask for — max_rows
// can only lower maxRows, LIMIT does not lift it, a byte cap cuts rows too, and a statement past
// statementTimeoutMs fails with 57014. A capped result says so: `cap` and a note.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/env.js';
import { dropDatabase, itemsDatabase, limitedGateway, mcpFor, structured, textOf, type LimitedGateway } from './helpers.js';

const capped = uniqueName('capped');
const bytes = uniqueName('bytes');
let database: string;
let lg: LimitedGateway;

beforeAll(async () => {
  database = await itemsDatabase(200);
  lg = await limitedGateway({
    database,
    agents: [capped, bytes],
    limits: {
      agents: {
        [capped]: { maxRows: 10, statementTimeoutMs: 1000 },
        [bytes]: { maxResultBytes: '2kB' },
      },
    },
    policy: { rules: [{ name: 'sleep-for-tests', functions: ['pg_sleep'], tier: 'auto', unsafe: true }] },
  });
});

afterAll(async () => {
  await lg?.close();
  if (database) await dropDatabase(database);
});

describe('caps through MCP', () => {
  it('cuts at maxRows whatever max_rows and LIMIT ask for, and says so', async () => {
    const mcp = await mcpFor(lg.gw, lg.agents[capped]);
    try {
      const r = await mcp.call('query', { sql: 'SELECT id FROM items ORDER BY id LIMIT 1000000', max_rows: 500 });
      expect(r.isError).toBeFalsy();
      const s = structured(r);
      expect(s.rows.map((x: { id: unknown }) => Number(x.id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(s.truncated).toBe(true);
      expect(s.cap).toEqual({ limit: 'maxRows', value: 10 });
      expect(textOf(r)).toMatch(/capped at 10 rows by this agent's limit maxRows/);
      // a smaller max_rows is the agent's own choice: no cap reported
      const small = structured(await mcp.call('query', { sql: 'SELECT id FROM items ORDER BY id', max_rows: 3 }));
      expect(small.rows).toHaveLength(3);
      expect(small.cap).toBeUndefined();
    } finally {
      await mcp.close();
    }
  });

  it('cuts by bytes of row data (maxResultBytes)', async () => {
    const mcp = await mcpFor(lg.gw, lg.agents[bytes]);
    try {
      const s = structured(await mcp.call('query', { sql: 'SELECT id, pad FROM items ORDER BY id' }));
      expect(s.rows.length).toBeGreaterThan(10);
      expect(s.rows.length).toBeLessThan(25);
      expect(s.cap).toEqual({ limit: 'maxResultBytes', value: 2000 });
    } finally {
      await mcp.close();
    }
  });

  it('ends a statement at statementTimeoutMs (57014)', async () => {
    const mcp = await mcpFor(lg.gw, lg.agents[capped]);
    try {
      const t0 = Date.now();
      const r = await mcp.call('query', { sql: 'SELECT pg_sleep(5)' });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/57014|cancel/i);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await mcp.close();
    }
  });
});
