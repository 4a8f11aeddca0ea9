// One case (or more) per rule of the default policy in shared/design.md, including bypass tricks.
import { describe, it, expect, beforeAll } from 'vitest';
import { PolicyEngine, initPolicy } from '../../src/policy/index.js';

let engine: PolicyEngine;
beforeAll(async () => {
  await initPolicy();
  engine = new PolicyEngine({ maxTimeoutMs: 60_000 });
});

const cases: [tier: 'auto' | 'ask' | 'block', sql: string, rule?: string][] = [
  // auto: reads
  ['auto', 'SELECT * FROM accounts WHERE id = 1', 'auto.read'],
  ['auto', 'VALUES (1), (2)'],
  ['auto', 'TABLE accounts'],
  ['auto', 'SELECT 1 UNION SELECT 2 EXCEPT SELECT 3'],
  ['auto', 'SELECT random(), clock_timestamp(), gen_random_uuid()'],
  ['auto', "SELECT pg_table_size('accounts'), pg_total_relation_size('accounts')"],
  ['auto', "SELECT * FROM pg_partition_ancestors('accounts')"],
  ['auto', "SELECT regrole('postgres')"],
  ['auto', 'SELECT * FROM generate_series(1, 3) g, LATERAL (SELECT g * 2) x'],
  ['auto', 'SELECT * FROM accounts TABLESAMPLE SYSTEM (10)'],
  ['auto', 'EXPLAIN SELECT * FROM accounts', 'auto.explain'],
  ['auto', 'EXPLAIN UPDATE accounts SET balance = 0', 'auto.explain'],
  ['auto', 'EXPLAIN (ANALYZE false) DELETE FROM orders', 'auto.explain'],
  ['auto', 'EXPLAIN ANALYZE SELECT 1', 'auto.explain-analyze'],
  ['auto', 'SHOW search_path', 'auto.show'],
  ['auto', 'BEGIN', 'auto.transaction'],
  ['auto', 'BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY'],
  ['auto', 'COMMIT'],
  ['auto', 'SAVEPOINT a'],
  ['auto', 'ROLLBACK TO SAVEPOINT a'],
  ['auto', 'SET application_name = agent', 'auto.setting'],
  ['auto', "SET search_path = public, '$user'"],
  ['auto', "SET TIME ZONE 'UTC'"],
  ['auto', "SET statement_timeout = '30s'"],
  ['auto', 'SET LOCAL lock_timeout TO 1000'],
  ['auto', 'RESET statement_timeout'],
  ['auto', "SELECT set_config('bytea_output', 'hex', false)"],
  ['auto', 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ'],
  ['auto', 'SET TRANSACTION READ ONLY'],
  ['auto', 'SET CONSTRAINTS ALL DEFERRED'],
  ['auto', 'DECLARE c CURSOR FOR SELECT * FROM accounts'],
  ['auto', 'FETCH 10 FROM c'],
  ['auto', 'CLOSE c'],
  ['auto', 'COPY accounts TO STDOUT'],
  ['auto', 'COPY (SELECT id FROM accounts) TO STDOUT'],
  ['auto', "SELECT 'DROP TABLE accounts; DELETE FROM orders'", 'auto.read'],
  ['auto', 'SELECT $$ DROP TABLE t $$, $x$;DELETE FROM t;$x$'],
  ['auto', 'SELECT 1 -- ; DROP TABLE accounts'],
  // ask: writes and other held statements
  ['ask', "INSERT INTO audit_log (note) VALUES ('x')", 'ask.write'],
  ['ask', 'UPDATE accounts SET balance = 0 WHERE id = 1', 'ask.write'],
  ['ask', 'INSERT INTO accounts (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET id = 1'],
  ['ask', 'MERGE INTO accounts a USING orders o ON a.id = o.account_id WHEN MATCHED THEN UPDATE SET balance = 0'],
  ['ask', 'SELECT * FROM accounts FOR UPDATE', 'ask.locking'],
  ['ask', 'SELECT * FROM accounts FOR SHARE SKIP LOCKED', 'ask.locking'],
  ['ask', 'SELECT * INTO newtab FROM accounts', 'ask.write'],
  ['ask', 'SELECT 1 AS a INTO bx_u UNION SELECT 2'],
  ['ask', 'CREATE TABLE acct_copy AS SELECT * FROM accounts'],
  ['ask', 'WITH u AS (UPDATE accounts SET balance = 1 RETURNING id) SELECT count(*) FROM u'],
  ['ask', 'SELECT public.bump()', 'ask.unknown-function'],
  ['ask', 'SELECT * FROM public.bump()', 'ask.unknown-function'],
  ['ask', 'SELECT * FROM accounts ORDER BY bump()', 'ask.unknown-function'],
  ['ask', 'SELECT (SELECT my_fn()) FROM accounts'],
  ['ask', "SELECT nextval('order_seq')", 'ask.volatile-function'],
  ['ask', "SELECT setval('order_seq', 10)"],
  ['ask', 'SELECT txid_current()'],
  ['ask', "SELECT pg_notify('c', 'x')"],
  ['ask', 'SELECT pg_sleep(1)'],
  ['ask', 'EXPLAIN ANALYZE UPDATE accounts SET balance = 0'],
  ['ask', "EXPLAIN (ANALYZE, BUFFERS) INSERT INTO audit_log (note) VALUES ('x')"],
  ['ask', "CALL add_note('x')", 'ask.call'],
  ['ask', 'COPY accounts FROM STDIN', 'ask.copy-from'],
  ['ask', 'CREATE TABLE t2 (id int)', 'ask.ddl'],
  ['ask', 'ALTER TABLE accounts ADD COLUMN note text'],
  ['ask', 'CREATE INDEX ON accounts (balance)'],
  ['ask', 'CREATE VIEW v AS SELECT 1'],
  ['ask', 'LOCK TABLE accounts', 'ask.lock'],
  ['ask', 'VACUUM accounts', 'ask.maintenance'],
  ['ask', 'ANALYZE accounts'],
  ['ask', 'REINDEX TABLE accounts'],
  ['ask', 'CLUSTER accounts USING accounts_pkey'],
  ['ask', 'REFRESH MATERIALIZED VIEW account_totals'],
  ['ask', "NOTIFY orders, 'x'", 'ask.notify'],
  ['ask', "COMMENT ON TABLE accounts IS 'x'"],
  ['ask', 'EXECUTE p1', 'ask.execute'],
  ['ask', 'DISCARD ALL'],
  ['auto', 'SET statement_timeout = 0', 'auto.timeout-clamped'],
  ['auto', "SET statement_timeout = '2h'", 'auto.timeout-clamped'],
  ['ask', "SELECT set_config('statement_timeout', '0', false)", 'ask.timeout'],
  ['ask', 'SET work_mem_typo = 1', 'ask.setting'],
  // block
  ['block', 'DROP TABLE accounts', 'block.drop'],
  ['block', 'DROP INDEX orders_status_idx', 'block.drop'],
  ['block', 'TRUNCATE orders', 'block.delete'],
  ['block', 'DELETE FROM orders WHERE id = 1', 'block.delete'],
  ['block', 'WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d', 'block.delete'],
  ['block', 'MERGE INTO accounts a USING orders o ON a.id = o.account_id WHEN MATCHED THEN DELETE', 'block.delete'],
  ['block', 'GRANT ALL ON accounts TO public', 'block.privilege'],
  ['block', 'REVOKE SELECT ON accounts FROM public', 'block.privilege'],
  ['block', "CREATE ROLE evil LOGIN PASSWORD 'x'", 'block.privilege'],
  ['block', "ALTER ROLE postgres PASSWORD 'x'", 'block.privilege'],
  ['block', "ALTER SYSTEM SET work_mem = '1GB'", 'block.privilege'],
  ['block', 'SET ROLE postgres', 'block.protected-setting'],
  ['block', 'SET SESSION AUTHORIZATION postgres', 'block.protected-setting'],
  ['block', 'RESET ALL', 'block.reset-all'],
  ['block', 'SET default_transaction_read_only = off', 'block.protected-setting'],
  ['block', 'SET TRANSACTION READ WRITE', 'block.read-write'],
  ['block', 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', 'block.read-write'],
  ['block', 'BEGIN READ WRITE', 'block.read-write'],
  ['block', 'START TRANSACTION READ WRITE', 'block.read-write'],
  ['block', 'SET session_replication_role = replica', 'block.protected-setting'],
  ['block', 'SET standard_conforming_strings = off', 'block.protected-setting'],
  ['block', 'SET backslash_quote = on', 'block.protected-setting'],
  ['block', 'SET search_path = public, pg_catalog', 'block.search-path'],
  ['block', "SELECT set_config('default_transaction_read_only', 'off', false)", 'block.protected-setting'],
  ['block', "SELECT set_config(current_user, 'off', false)", 'block.set-config'],
  ['block', "COPY accounts TO PROGRAM 'cat > /tmp/x'", 'block.copy-program'],
  ['block', "COPY accounts FROM '/etc/passwd'", 'block.copy-file'],
  ['block', "COPY accounts TO '/tmp/x'", 'block.copy-file'],
  ['block', 'DO $$ BEGIN DELETE FROM orders; END $$', 'block.code'],
  ['block', 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', 'block.code'],
  ['block', 'CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$', 'block.code'],
  ['block', 'CREATE TRIGGER t AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION audit_trg()', 'block.code'],
  ['block', 'CREATE RULE r AS ON INSERT TO accounts DO INSTEAD NOTHING', 'block.code'],
  ['block', 'CREATE EXTENSION dblink', 'block.code'],
  ['block', "LOAD 'auto_explain'", 'block.code'],
  ['block', 'ALTER TABLE accounts DISABLE TRIGGER ALL', 'block.alter-table'],
  ['block', 'ALTER TABLE accounts DISABLE ROW LEVEL SECURITY', 'block.alter-table'],
  ['block', 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity', 'block.dangerous-function'],
  ['block', 'SELECT CASE WHEN false THEN pg_cancel_backend(1) END', 'block.dangerous-function'],
  ['block', 'SELECT pg_reload_conf()', 'block.dangerous-function'],
  ['block', "SELECT pg_read_file('/etc/passwd')", 'block.dangerous-function'],
  ['block', "SELECT * FROM pg_ls_dir('.')", 'block.dangerous-function'],
  ['block', "SELECT lo_import('/etc/hostname')", 'block.dangerous-function'],
  ['block', "SELECT dblink_exec('dbname=x', 'DROP TABLE t')", 'block.dangerous-function'],
  ['block', "SELECT query_to_xml('delete from orders', true, true, '')", 'block.dangerous-function'],
  ['block', 'SELECT pg_advisory_lock(42)', 'block.dangerous-function'],
  ['block', 'SELECT pg_sleep(3600)', 'block.sleep'],
  ['block', "SELECT pg_sleep_for('1 hour')", 'block.sleep'],
  ['block', "SELECT table_to_xml('salaries', true, false, '')", 'block.dangerous-function'],
  ['block', "SELECT database_to_xml(true, false, '')", 'block.dangerous-function'],
  ['block', "UPDATE airlock_meta.executions SET approval_id = 'x'", 'block.internal'],
  // credentials and server configuration files, however they are read
  ['block', 'SELECT rolname, rolpassword FROM pg_authid', 'block.credentials'],
  ['block', 'SELECT usename, passwd FROM PG_CATALOG.PG_SHADOW', 'block.credentials'],
  ['block', 'SELECT (SELECT rolpassword FROM "pg_authid" LIMIT 1)', 'block.credentials'],
  ['block', 'COPY pg_authid TO STDOUT', 'block.credentials'],
  ['block', 'TABLE pg_catalog.pg_user_mapping', 'block.credentials'],
  ['block', 'SELECT * FROM pg_hba_file_rules', 'block.credentials'],
  ['block', 'SELECT name, setting FROM pg_file_settings', 'block.credentials'],
  ['block', 'DECLARE c CURSOR FOR SELECT * FROM pg_shadow', 'block.credentials'],
  ['auto', 'SELECT rolname, rolpassword FROM pg_roles', 'auto.read'], // shows ******** for the password
  ['auto', 'SELECT * FROM public.pg_authid', 'auto.read'], // a user table of that name
  ['auto', 'SELECT subname, subconninfo FROM pg_subscription', 'auto.read'], // pg_dump reads it: left to privileges
  ['block', "INSERT INTO airlock_meta.executions VALUES ('x', now())", 'block.internal'],
  ['block', 'ALTER TABLE airlock_meta.executions DROP CONSTRAINT executions_pkey', 'block.internal'],
  ['auto', 'SELECT * FROM airlock_meta.executions'],
  // schema-qualified, quoted and mixed-case names of dangerous functions
  ['block', 'SELECT pg_catalog.pg_terminate_backend(1)', 'block.dangerous-function'],
  ['block', 'SELECT "pg_catalog"."pg_terminate_backend"(1)', 'block.dangerous-function'],
  ['block', 'SELECT PG_TERMINATE_BACKEND(1)', 'block.dangerous-function'],
  ['block', 'SELECT "PG_READ_FILE"(\'x\')', 'block.dangerous-function'],
  ['block', 'SELECT U&"pg_read_fil\\0065"(\'/etc/passwd\')', 'block.dangerous-function'],
  ['block', 'SELECT * FROM accounts WHERE id = (SELECT pg_terminate_backend(1)::int)', 'block.dangerous-function'],
  ['block', 'SELECT * FROM accounts ORDER BY pg_cancel_backend(1)', 'block.dangerous-function'],
  ['block', "SELECT * FROM accounts, LATERAL pg_ls_dir('.') f", 'block.dangerous-function'],
  ['block', 'EXPLAIN SELECT pg_terminate_backend(1)', 'block.dangerous-function'],
  // stacked statements and comment tricks: strictest part wins
  ['block', 'SELECT 1; /* -- */ DROP TABLE t', 'block.drop'],
  ['block', 'SELECT 1; -- comment\nDROP TABLE t', 'block.drop'],
  ['block', 'SELECT 1 /* nested /* comment */ still */; DROP TABLE t', 'block.drop'],
  ['block', 'COMMIT; DROP TABLE accounts', 'block.drop'],
  ['block', 'SELECT $q$;$q$; DROP TABLE accounts'],
  ['block', "SELECT E'\\'; DROP TABLE accounts; --'; DROP TABLE orders"],
  ['ask', "SELECT 1; INSERT INTO audit_log (note) VALUES ('x')", 'ask.write'],
];

describe('default policy', () => {
  it.each(cases.map(([tier, sql, rule]) => [tier, sql, rule]))('%s: %s', (tier, sql, rule) => {
    const d = engine.decide(sql as string);
    expect(d.decision, `${d.rule}: ${d.reason}`).toBe(tier);
    if (rule) expect(d.rule).toBe(rule);
    expect(d.reason.length).toBeGreaterThan(5);
  });

  it('reports tables, functions and flags from the whole tree', () => {
    const d = engine.decide(
      'WITH u AS (UPDATE accounts SET balance = 1 FROM orders o WHERE o.id = 1 RETURNING accounts.id) SELECT upper(x.note) FROM u, audit_log x',
    );
    const s = d.statements[0];
    expect(s.tablesWritten).toEqual(['accounts']);
    expect(s.tablesRead.sort()).toEqual(['audit_log', 'orders']);
    expect(s.functions).toContain('upper');
    expect(s.flags).toContain('writes-in-cte');
  });

  it('splits statements by parser location and keeps each statement text', () => {
    const d = engine.decide("SELECT 'a;b'; SELECT 'é'; DROP TABLE x");
    expect(d.statements.map((s) => s.sql)).toEqual(["SELECT 'a;b'", "SELECT 'é'", 'DROP TABLE x']);
    expect(d.reason).toMatch(/statement 3 of 3/);
  });
});
