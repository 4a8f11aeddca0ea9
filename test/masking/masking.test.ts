// Issue 16, item 3: column masking. One table with an email (hash), an ssn (partial, last 4), a phone
// and a salary (redact; the salary is an integer, so NULL) for the agent `masked`; the agent
// `trusted` has no rule and sees everything. The real values never appear in any byte the proxy
// sends to the masked agent (simple protocol, extended protocol, a named statement executed without
// a Describe as JDBC does, psql), nor in the MCP JSON; statements that could probe a masked value
// (WHERE, ORDER BY, functions, whole rows, COPY …) are held with the reason; a held write's preview
// shown to the agent is masked too.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontendSerialize as fe } from '../../protocol/index.js';
import { parseConfig } from '../../src/config/load.js';
import { uniqueName } from '../helpers/env.js';
import { createDatabase, psqlDirect } from '../wire/helpers/proxy.js';
import { RawClient } from '../wire/helpers/raw-client.js';
import { dropDatabase, limitedGateway, mcpFor, structured, wireFor, type LimitedGateway } from '../limits/helpers.js';

const masked = uniqueName('masked');
const trusted = uniqueName('trusted');
const REAL = ['alice@real.example', 'bob@real.example', '123-45-6789', '987-65-4321', '+1-555-0100', '+1-555-0199', '91234', '87654'];
let db: string;
let lg: LimitedGateway;
let wire: Awaited<ReturnType<typeof wireFor>>;

beforeAll(async () => {
  db = await createDatabase('masking');
  psqlDirect(db, [
    '-c',
    `CREATE TABLE people (id int PRIMARY KEY, name text, email text, ssn text, phone varchar(20), salary int);
     INSERT INTO people VALUES (1, 'Alice', 'alice@real.example', '123-45-6789', '+1-555-0100', 91234),
                               (2, 'Bob', 'bob@real.example', '987-65-4321', '+1-555-0199', 87654);
     CREATE TABLE orders (id int PRIMARY KEY, person int, email text);
     INSERT INTO orders VALUES (10, 1, 'alice@real.example');`,
  ]);
  lg = await limitedGateway({
    database: db,
    agents: [masked, trusted],
    limits: {},
    policy: {
      masking: {
        salt: 'a-test-salt-of-16-chars',
        unmaskReviewers: ['dba'],
        rules: [
          { name: 'emails', columns: ['*.email'], mode: 'hash', agents: [masked] },
          { name: 'ssn', columns: ['public.people.ssn'], mode: 'partial', keep: 4, agents: [masked] },
          { name: 'contact', columns: ['people.phone', 'people.salary'], mode: 'redact', agents: [masked] },
        ],
      },
    },
  });
  wire = await wireFor(lg.gw);
}, 60_000);

afterAll(async () => {
  await wire?.close();
  await lg?.close();
  if (db) await dropDatabase(db);
});

const leaks = (text: string) => REAL.filter((v) => text.includes(v));

describe('masking on the wire', () => {
  it('node-pg (extended protocol) gets masked values; the trusted agent gets the real ones', async () => {
    const c = await wire.connect(lg.agents[masked], db);
    const { rows } = await c.query('SELECT * FROM people ORDER BY id');
    expect(rows[0]).toMatchObject({ id: 1, name: 'Alice', ssn: '*******6789', phone: '[redacted]', salary: null });
    expect(rows[0].email).toMatch(/^h:[0-9a-f]{16}$/);
    expect(rows[1].email).not.toBe(rows[0].email);
    // the hash is stable: the same value hashes the same in another table (joins by value still line up)
    const o = await c.query('SELECT email AS e FROM orders');
    expect(o.rows[0].e).toBe(rows[0].email);
    // an alias does not unmask: the origin is the column
    const aliased = await c.query({ text: 'SELECT ssn AS x, id FROM people WHERE id = $1', values: [2] });
    expect(aliased.rows).toEqual([{ x: '*******4321', id: 2 }]);
    expect(leaks(JSON.stringify([rows, o.rows, aliased.rows]))).toEqual([]);
    const t = await wire.connect(lg.agents[trusted], db);
    expect((await t.query('SELECT email, ssn, salary FROM people WHERE id = 1')).rows).toEqual([
      { email: 'alice@real.example', ssn: '123-45-6789', salary: 91234 },
    ]);
  });

  it('no real value in the raw bytes: simple query, extended with Describe, and Execute without Describe', async () => {
    const raw = await RawClient.login(wire.server.port, masked, lg.agents[masked].token, db);
    const bytes: Buffer[] = [];
    raw.socket.on('data', (b: Buffer) => bytes.push(Buffer.from(b)));
    try {
      raw.send(fe.query('SELECT * FROM people; TABLE people'));
      const simple = await raw.untilReady();
      expect(simple.filter((f) => f.type === 'D')).toHaveLength(4);
      // a named statement described once, then executed without a Describe (as JDBC does)
      raw.send(
        Buffer.concat([
          fe.parse({ name: 's1', text: 'SELECT id, email, ssn FROM people ORDER BY id', types: [] }),
          fe.describe({ type: 'S', name: 's1' }),
          fe.sync(),
        ]),
      );
      await raw.untilReady();
      raw.send(Buffer.concat([fe.bind({ statement: 's1', portal: '', values: [] }), fe.execute({ portal: '' }), fe.sync()]));
      const run = await raw.untilReady();
      // no RowDescription reaches the client for an Execute it did not describe; the rows are masked
      expect(run.map((f) => f.type).join('')).toBe('2DDCZ');
      // binary results: the masked text column is NULL
      raw.send(
        Buffer.concat([
          fe.bind({ statement: 's1', portal: 'p', values: [], binary: true }),
          fe.describe({ type: 'P', name: 'p' }),
          fe.execute({ portal: 'p', rows: 1 }),
          fe.execute({ portal: 'p' }),
          fe.sync(),
        ]),
      );
      const bin = await raw.untilReady();
      expect(bin.map((f) => f.type).join('')).toBe('2TDsDCZ');
      const nullEmail = bin.filter((f) => f.type === 'D').every((f) => f.body.readInt32BE(2 + 4 + 4) === -1);
      expect(nullEmail).toBe(true);
      // a simple Query pipelined ahead of an undescribed Execute: each RowDescription reaches its own reader
      raw.send(
        Buffer.concat([
          fe.query('SELECT email FROM people WHERE id = 1'),
          fe.bind({ statement: 's1', portal: '', values: [] }),
          fe.execute({ portal: '' }),
          fe.sync(),
        ]),
      );
      expect((await raw.untilReady()).map((f) => f.type).join('')).toBe('TDCZ');
      expect((await raw.untilReady()).map((f) => f.type).join('')).toBe('2DDCZ');
      // an error in a batch: the Describe the server skipped is not waited for, the next batch still masks
      raw.send(Buffer.concat([fe.bind({ statement: 'nope', portal: '', values: [] }), fe.execute({ portal: '' }), fe.sync()]));
      expect((await raw.untilReady()).map((f) => f.type).join('')).toBe('EZ');
      raw.send(Buffer.concat([fe.bind({ statement: 's1', portal: '', values: [] }), fe.execute({ portal: '' }), fe.sync()]));
      expect((await raw.untilReady()).map((f) => f.type).join('')).toBe('2DDCZ');
    } finally {
      raw.close();
    }
    const all = Buffer.concat(bytes).toString('latin1');
    expect(leaks(all)).toEqual([]);
    expect(all).toContain('6789');
  });

  it('psql shows masked values', async () => {
    const { stdout } = await promisify(execFile)(
      'psql',
      [
        '-X',
        '-At',
        '-h',
        '127.0.0.1',
        '-p',
        String(wire.server.port),
        '-U',
        masked,
        '-d',
        db,
        '-c',
        'SELECT name, email, ssn, phone, salary FROM people ORDER BY id',
      ],
      { env: { ...process.env, PGPASSWORD: lg.agents[masked].token }, timeout: 20_000 },
    );
    expect(leaks(stdout)).toEqual([]);
    expect(stdout).toMatch(/^Alice\|h:[0-9a-f]{16}\|\*{7}6789\|\[redacted\]\|$/m);
  });

  it('holds statements that could probe a masked value, with the reason', async () => {
    const c = await wire.connect(lg.agents[masked], db);
    for (const sql of ["SELECT id FROM people WHERE email = 'alice@real.example'", 'SELECT id FROM people ORDER BY ssn']) {
      const message = await c.query(sql).then(
        () => 'ran',
        (e: Error) => e.message,
      );
      expect(message, sql).toMatch(/approval [0-9a-f-]{36}/);
    }
    const pending = (await lg.gw.listApprovals({ status: 'pending' })).filter((a) => a.agentName === masked);
    expect(pending.map((a) => a.decision?.rule)).toEqual(['ask.masked-column', 'ask.masked-column']);
    expect(pending[0].decision?.reason).toMatch(/a masked value could be revealed: it uses the masked column (email|ssn)/);
    // the same policy for every door: decisions only (each held wire statement waits for a reviewer)
    for (const sql of [
      'SELECT email AS e FROM people ORDER BY e',
      'SELECT email FROM people ORDER BY 1',
      'SELECT length(ssn) FROM people',
      'SELECT p FROM people p',
      'SELECT x.* FROM (SELECT * FROM people) x',
      'COPY people TO STDOUT',
      'SELECT DISTINCT salary FROM people',
      'SELECT id FROM people JOIN orders USING (email)',
      "SELECT most_common_vals FROM pg_stats WHERE attname = 'ssn'",
      'SELECT histogram_bounds FROM pg_catalog.pg_stats',
    ]) {
      expect(lg.gw.check(sql, { agent: masked, database: db }).rule, sql).toBe('ask.masked-column');
      expect(lg.gw.check(sql, { agent: trusted, database: db }).rule, sql).not.toBe('ask.masked-column');
    }
    for (const sql of [
      'SELECT * FROM people',
      'SELECT id, email AS e FROM people WHERE id > 1 ORDER BY id LIMIT 5',
      'SELECT count(*) FROM people',
    ]) {
      expect(lg.gw.check(sql, { agent: masked, database: db }).decision, sql).toBe('auto');
    }
    // the trusted agent has no masking rule: the same probe runs
    const t = await wire.connect(lg.agents[trusted], db);
    expect((await t.query("SELECT id FROM people WHERE email = 'alice@real.example'")).rows).toEqual([{ id: 1 }]);
  });
});

describe('masking through MCP', () => {
  it('query results and a held write preview are masked in the JSON the model sees', async () => {
    const mcp = await mcpFor(lg.gw, lg.agents[masked]);
    try {
      const r = await mcp.call('query', { sql: 'SELECT id, email, ssn, phone, salary FROM people ORDER BY id' });
      const rows = structured(r).rows as Record<string, unknown>[];
      expect(rows[1]).toMatchObject({ id: '2', ssn: '*******4321', phone: '[redacted]', salary: null });
      const held = await mcp.call('query', { sql: "UPDATE people SET name = 'Bobby' WHERE id = 2" });
      expect(structured(held).status).toBe('pending');
      const probe = await mcp.call('query', { sql: 'SELECT id FROM people WHERE ssn LIKE $1', params: ['9%'] });
      expect(structured(probe).status).toBe('pending');
      const json = JSON.stringify([r, held, probe]);
      expect(leaks(json)).toEqual([]);
      expect(json).toContain('Bobby');
      // reviewers: masked unless they may unmask; notices (webhook, Slack, email) always masked
      const rec = await lg.gw.getApproval(structured(held).approval_id as string);
      expect(leaks(JSON.stringify(rec.preview))).not.toEqual([]);
      const seen = lg.gw.reviewView(rec, 'carol');
      expect(leaks(JSON.stringify(seen))).toEqual([]);
      expect(JSON.stringify(seen.preview)).toContain('Bobby');
      expect(leaks(JSON.stringify(lg.gw.reviewView(rec, 'dba').preview))).toEqual([
        'bob@real.example',
        '987-65-4321',
        '+1-555-0199',
        '87654',
      ]);
      expect(leaks(JSON.stringify(lg.gw.approvals.review.eventView(rec)))).toEqual([]);
    } finally {
      await mcp.close();
    }
  });
});

describe('masking config', () => {
  it('a column named without * that no table has stops the start, naming the key', async () => {
    await expect(lg.gw.checkMasking()).resolves.toBeUndefined();
    const typo = await limitedGateway({
      database: db,
      limits: {},
      policy: { masking: { rules: [{ name: 't', columns: ['*.email', 'people.emial'], mode: 'redact' }] } },
    });
    try {
      await expect(typo.gw.checkMasking()).rejects.toThrow(/policy\.masking\.rules\.0\.columns\.1: no column "people\.emial"/);
    } finally {
      await typo.close();
    }
  });

  it('names the key of a bad column pattern or an unknown target', () => {
    const bad = () =>
      parseConfig({
        policy: {
          masking: {
            rules: [
              { name: 'a', columns: ['a.b.c.d'], mode: 'redact' },
              { name: 'b', columns: ['email'], mode: 'scramble', targets: ['nope'] },
            ],
          },
        },
      });
    expect(bad).toThrow(/policy\.masking\.rules\.0\.columns\.0: expected column, table\.column or schema\.table\.column/);
    expect(bad).toThrow(/policy\.masking\.rules\.1\.mode/);
  });
});
