// pg_dump through the wire proxy (issue 16, item 9): a database with schemas, tables, keys, a
// partitioned table, types, a domain, sequences, views, a function, a trigger, a policy and comments
// is dumped directly and through Airlock, schema and data apart; the dumps must be the same. pg_dump
// sends SET statement_timeout = 0 and other session settings, set_config(name, …) FROM pg_settings,
// SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY, LOCK TABLE … IN ACCESS SHARE MODE and
// COPY … TO stdout: every one must be auto, and the idle-in-transaction timeout SET to 0 is clamped.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, dropDatabase, psqlDirect, startProxy, type Proxy } from './helpers/proxy.js';

const run = promisify(execFile);
let proxy: Proxy;
let db: string;

const SCHEMA = `
CREATE SCHEMA shop;
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'shipped');
CREATE TYPE shop.money_pair AS (amount numeric(12,2), currency char(3));
CREATE DOMAIN shop.email AS text CHECK (VALUE ~ '^[^@]+@[^@]+$');
CREATE SEQUENCE shop.invoice_no START 1000 INCREMENT 7;
CREATE TABLE shop.customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email shop.email NOT NULL UNIQUE,
  name text NOT NULL DEFAULT 'anonymous',
  tags text[],
  profile jsonb,
  created timestamptz NOT NULL DEFAULT '2024-01-01 00:00:00+00'
);
CREATE TABLE shop.orders (
  id serial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES shop.customers (id) ON DELETE CASCADE,
  status shop.status NOT NULL DEFAULT 'new',
  total shop.money_pair,
  invoice bigint DEFAULT nextval('shop.invoice_no'),
  note bytea,
  CHECK ((total).amount >= 0)
);
CREATE INDEX orders_status_idx ON shop.orders (status) WHERE status <> 'shipped';
CREATE TABLE shop.events (at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2024 PARTITION OF shop.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE VIEW shop.open_orders AS SELECT o.id, c.email, o.status FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id WHERE o.status <> 'shipped';
CREATE MATERIALIZED VIEW shop.order_counts AS SELECT status, count(*) AS n FROM shop.orders GROUP BY status;
CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := btrim(NEW.name); RETURN NEW; END $$;
CREATE TRIGGER customers_touch BEFORE INSERT OR UPDATE ON shop.customers FOR EACH ROW EXECUTE FUNCTION shop.touch();
ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY orders_all ON shop.orders USING (true);
COMMENT ON TABLE shop.customers IS 'people who buy';
COMMENT ON COLUMN shop.orders.note IS 'free text, binary';
CREATE TABLE public.plain (k text PRIMARY KEY, v numeric);
INSERT INTO shop.customers (email, name, tags, profile) VALUES
  ('a@example.com', ' Alice ', '{x,y}', '{"vip": true}'),
  ('b@example.com', 'Bob', NULL, NULL),
  ('c@example.com', 'Carol "C" O''Neil', '{}', '[1, 2, {"k": "tab\\there"}]');
INSERT INTO shop.orders (customer_id, status, total, note) VALUES
  (1, 'paid', ROW(10.50, 'EUR'), '\\xdeadbeef'),
  (2, 'new', ROW(0, 'USD'), NULL),
  (3, 'shipped', NULL, '\\x00');
INSERT INTO shop.events VALUES ('2024-05-01', 'launch'), ('2025-02-03', 'line
break'), ('2025-03-04', 'back\\slash');
INSERT INTO public.plain SELECT 'k' || g, g / 7.0 FROM generate_series(1, 500) g;
SELECT setval('shop.invoice_no', 2000);
REFRESH MATERIALIZED VIEW shop.order_counts;
`;

beforeAll(async () => {
  db = await createDatabase('pgdump');
  psqlDirect(db, ['-c', SCHEMA]);
  proxy = await startProxy({ database: db });
});

afterAll(async () => {
  await proxy?.close();
  if (db) await dropDatabase(db);
});

/**
 * pg_dump's output with what differs from run to run removed: the random key of `\restrict` /
 * `\unrestrict` (pg_dump 17.6, 16.10, 15.14 and later) and nothing else.
 */
async function dump(url: string, mode: '--schema-only' | '--data-only'): Promise<string> {
  const { stdout } = await run('pg_dump', ['--no-password', mode, '-d', url], {
    encoding: 'utf8',
    env: { ...process.env, PGCONNECT_TIMEOUT: '10' },
    maxBuffer: 64 << 20,
  });
  return stdout.replace(/^\\(un)?restrict \S+$/gm, '\\$1restrict KEY');
}

describe('pg_dump through Airlock', () => {
  it('--schema-only: the same dump as directly', async () => {
    const direct = await dump(proxy.directUrl, '--schema-only');
    const through = await dump(proxy.url(), '--schema-only');
    expect(direct).toMatch(/CREATE TABLE shop\.customers/);
    expect(direct).toMatch(/CREATE POLICY orders_all/);
    expect(through).toBe(direct);
  });

  it('--data-only: the same dump as directly (COPY … TO stdout, sequences set)', async () => {
    const direct = await dump(proxy.directUrl, '--data-only');
    const through = await dump(proxy.url(), '--data-only');
    expect(direct).toMatch(/COPY shop\.orders/);
    expect(direct).toMatch(/setval\('shop\.invoice_no', 2000, true\)/);
    expect(through).toBe(direct);
  });

  it('ran every statement of both dumps at once (no hold, no refusal)', async () => {
    await proxy.gw.audit.flush();
    const decisions = await proxy.gw.store.listAudit({ type: 'decision', agent: proxy.agent, limit: 10_000 });
    expect(decisions.length).toBeGreaterThan(20);
    const notAuto = decisions.filter((e) => e.decision !== 'auto').map((e) => `${e.rule}: ${String(e.data.sql).slice(0, 120)}`);
    expect(notAuto).toEqual([]);
    // what pg_dump sends besides catalog reads: each with the rule that lets it run
    const rules = new Set(decisions.map((e) => e.rule));
    for (const r of ['auto.timeout-clamped', 'auto.transaction', 'auto.lock-access-share', 'auto.execute', 'auto.copy-to']) {
      expect(rules).toContain(r);
    }
  });

  it('clamps SET idle_in_transaction_session_timeout = 0 to the configured one; statement_timeout = 0 runs', async () => {
    const c = new pg.Client({ connectionString: proxy.url() });
    await c.connect();
    try {
      await c.query('SET idle_in_transaction_session_timeout = 0');
      const configured = proxy.gw.config.upstream.idleInTransactionTimeoutMs;
      const shown = (await c.query("SELECT current_setting('idle_in_transaction_session_timeout') AS v")).rows[0].v as string;
      expect(shown).toBe(`${configured / 60_000}min`);
      await c.query("SET idle_in_transaction_session_timeout = '1s'"); // lower: sent as it is
      expect((await c.query('SHOW idle_in_transaction_session_timeout')).rows[0].idle_in_transaction_session_timeout).toBe('1s');
      // the statement-time cap is the agent's limit, enforced whatever the session SETs (timeout-watch.ts)
      await c.query('SET statement_timeout = 0');
      await c.query('BEGIN; LOCK TABLE public.plain IN ACCESS SHARE MODE; COMMIT');
    } finally {
      await c.end();
    }
  });
});
