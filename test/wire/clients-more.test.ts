// Client matrix, part 2: psycopg 3, psycopg2 and JDBC (compiled with javac in the test), each
// against the proxy on a random port. Debian packages from scripts/install-test-deps.sh.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, dropDatabase, psqlDirect, startProxy, type Proxy } from './helpers/proxy.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const JAR = '/usr/share/java/postgresql.jar';
let proxy: Proxy;
let db: string;
let dir: string;

beforeAll(async () => {
  execFileSync(new URL('../../scripts/install-test-deps.sh', import.meta.url).pathname);
  db = await createDatabase('wire_more');
  psqlDirect(db, [
    '-c',
    "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 20) g",
  ]);
  proxy = await startProxy({ database: db, config: { approvalWaitSeconds: 0.5 } });
  dir = mkdtempSync(join(tmpdir(), 'airlock-clients-'));
});

afterAll(async () => {
  await proxy?.close();
  if (db) await dropDatabase(db);
});

const PSYCOPG3 = `
import json, sys, psycopg
out = {}
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    cur = conn.cursor()
    cur.execute("SELECT name FROM items WHERE id = %s", (3,))
    out["param"] = cur.fetchone()[0]
    # prepare=True: a named server-side statement, reused
    for i in range(1, 8):
        cur.execute("SELECT count(*) FROM items WHERE id <= %s", (i,), prepare=True)
        out["prepared"] = cur.fetchone()[0]
    try:
        cur.execute("DROP TABLE items")
        out["drop"] = "ran"
    except psycopg.errors.InsufficientPrivilege as e:
        out["drop"] = e.sqlstate
    try:
        cur.execute("INSERT INTO items VALUES (%s, %s)", (99, "x"))
        out["insert"] = "ran"
    except psycopg.Error as e:
        out["insert"] = e.sqlstate
    cur.execute("SELECT count(*) FROM items")
    out["count"] = cur.fetchone()[0]
    with conn.transaction():
        cur.execute("SELECT 1")
        out["tx"] = cur.fetchone()[0]
    with cur.copy("COPY (SELECT id FROM items WHERE id <= 3 ORDER BY id) TO STDOUT") as copy:
        out["copy"] = [bytes(row).decode() for row in copy]
print(json.dumps(out))
`;

const PSYCOPG2 = `
import io, json, sys, psycopg2, psycopg2.errors
out = {}
conn = psycopg2.connect(sys.argv[1])
conn.autocommit = True
cur = conn.cursor()
cur.execute("SELECT name FROM items WHERE id = %s", (4,))
out["param"] = cur.fetchone()[0]
try:
    cur.execute("TRUNCATE items")
    out["truncate"] = "ran"
except psycopg2.Error as e:
    out["truncate"] = e.pgcode
cur.execute("SELECT count(*) FROM items")
out["count"] = cur.fetchone()[0]
buf = io.StringIO()
cur.copy_expert("COPY (SELECT id FROM items WHERE id <= 2 ORDER BY id) TO STDOUT", buf)
out["copy"] = buf.getvalue()
conn.autocommit = False
cur.execute("SELECT 5")
out["tx"] = cur.fetchone()[0]
conn.commit()
print(json.dumps(out))
`;

const JAVA = `
import java.sql.*;
public class WireClient {
  public static void main(String[] a) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Connection c = DriverManager.getConnection(a[0], a[1], a[2])) {
      try (PreparedStatement ps = c.prepareStatement("SELECT name FROM items WHERE id = ?")) {
        for (int i = 1; i <= 10; i++) { // prepareThreshold 5: server-side named statement after 5 runs
          ps.setInt(1, i);
          try (ResultSet rs = ps.executeQuery()) { rs.next(); out.append(rs.getString(1)).append(';'); }
        }
      }
      try (Statement s = c.createStatement()) {
        try { s.execute("DROP TABLE items"); out.append("drop=ran;"); }
        catch (SQLException e) { out.append("drop=").append(e.getSQLState()).append(';'); }
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM items")) { rs.next(); out.append("count=").append(rs.getInt(1)).append(';'); }
      }
      try (ResultSet rs = c.getMetaData().getTables(null, "public", "items", null)) { out.append("meta=").append(rs.next()).append(';'); }
      c.setAutoCommit(false);
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 6")) { rs.next(); out.append("tx=").append(rs.getInt(1)).append(';'); }
      c.commit();
    }
    System.out.println(out);
  }
}
`;

describe('python clients', () => {
  it('psycopg 3: parameters, prepared statements, policy errors, transactions, COPY TO', async () => {
    writeFileSync(join(dir, 'p3.py'), PSYCOPG3);
    const { stdout } = await run(PYTHON, [join(dir, 'p3.py'), proxy.url()], { encoding: 'utf8' });
    expect(JSON.parse(stdout)).toEqual({
      param: 'item 3',
      prepared: 7,
      drop: '42501',
      insert: '57014',
      count: 20,
      tx: 1,
      copy: ['1\n', '2\n', '3\n'],
    });
  });

  it('psycopg2: parameters, policy errors, COPY TO, transactions', async () => {
    writeFileSync(join(dir, 'p2.py'), PSYCOPG2);
    const { stdout } = await run(PYTHON, [join(dir, 'p2.py'), proxy.url()], { encoding: 'utf8' });
    expect(JSON.parse(stdout)).toEqual({ param: 'item 4', truncate: '42501', count: 20, copy: '1\n2\n', tx: 5 });
  });
});

describe('JDBC', () => {
  it('prepared statements past prepareThreshold, policy errors, metadata, transactions', async () => {
    writeFileSync(join(dir, 'WireClient.java'), JAVA);
    await run('javac', ['-d', dir, join(dir, 'WireClient.java')]);
    const url = `jdbc:postgresql://127.0.0.1:${proxy.server.port}/${db}`;
    const { stdout } = await run('java', ['-cp', `${dir}:${JAR}`, 'WireClient', url, proxy.agent, proxy.token], { encoding: 'utf8' });
    const names = Array.from({ length: 10 }, (_, i) => `item ${i + 1};`).join('');
    expect(stdout.trim()).toBe(`${names}drop=42501;count=20;meta=true;tx=6;`);
  }, 60_000);
});
