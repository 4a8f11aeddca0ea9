// Operator rules from airlock.yaml: per agent, database, kind, table, function and time window.
import { describe, it, expect, beforeAll } from 'vitest';
import { PolicyEngine, initPolicy } from '../../src/policy/index.js';
import { parseConfig } from '../../src/config/load.js';
import { inWindow } from '../../src/policy/config-rules.js';

beforeAll(() => initPolicy());

const engineWith = (rules: unknown[]) => new PolicyEngine(parseConfig({ policy: { rules } }).policy);

describe('config rules', () => {
  it('blocks a table for one agent only', () => {
    const e = engineWith([{ name: 'no-salaries', agents: ['intern'], tables: ['public.salaries'], tier: 'block' }]);
    expect(e.decide('SELECT * FROM salaries', { agent: 'intern' })).toMatchObject({ decision: 'block', rule: 'config.no-salaries' });
    expect(e.decide('SELECT * FROM salaries', { agent: 'analyst' }).decision).toBe('auto');
    expect(e.decide('SELECT * FROM public.salaries s JOIN x ON true', { agent: 'intern' }).decision).toBe('block');
    expect(e.decide('SELECT * FROM hr.salaries', { agent: 'intern' }).decision).toBe('auto');
  });

  it('holds reads of a database for review', () => {
    const e = engineWith([{ name: 'prod-reads', databases: ['prod'], kinds: ['read'], tier: 'ask' }]);
    expect(e.decide('SELECT 1', { database: 'prod' }).decision).toBe('ask');
    expect(e.decide('SELECT 1', { database: 'staging' }).decision).toBe('auto');
  });

  it('never relaxes a verdict unless the rule is marked unsafe', () => {
    const safe = engineWith([{ name: 'try-relax', kinds: ['write'], tier: 'auto' }]);
    expect(safe.decide('INSERT INTO t VALUES (1)').decision).toBe('ask');
    const unsafe = engineWith([{ name: 'relax', kinds: ['write'], tables: ['scratch'], tier: 'auto', unsafe: true }]);
    expect(unsafe.decide('INSERT INTO scratch VALUES (1)')).toMatchObject({ decision: 'auto', rule: 'config.relax' });
    expect(unsafe.decide('INSERT INTO other VALUES (1)').decision).toBe('ask');
    // unparseable input is never relaxed
    expect(unsafe.decide('INSERT INTO scratch VALUES (').decision).toBe('block');
  });

  it('matches functions by name', () => {
    const e = engineWith([{ name: 'no-uuid', functions: ['gen_random_uuid'], tier: 'block' }]);
    expect(e.decide('SELECT gen_random_uuid()').decision).toBe('block');
    expect(e.decide('SELECT pg_catalog.gen_random_uuid()').decision).toBe('block');
  });

  it('applies a rule only outside business hours', () => {
    const rules = [
      {
        name: 'writes-office-hours',
        kinds: ['write'],
        window: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00', timezone: 'Europe/Berlin' },
        outside: true,
        tier: 'block',
      },
    ];
    const e = engineWith(rules);
    const wednesdayNoonBerlin = new Date('2026-11-25T11:00:00Z');
    const saturday = new Date('2026-11-28T11:00:00Z');
    const wednesdayNight = new Date('2026-11-25T22:30:00Z');
    expect(e.decide('UPDATE t SET a = 1', { now: wednesdayNoonBerlin }).decision).toBe('ask');
    expect(e.decide('UPDATE t SET a = 1', { now: saturday }).decision).toBe('block');
    expect(e.decide('UPDATE t SET a = 1', { now: wednesdayNight }).decision).toBe('block');
    expect(e.decide('SELECT 1', { now: saturday }).decision).toBe('auto');
  });

  it('handles windows that wrap past midnight', () => {
    const w = { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const, from: '22:00', to: '06:00', timezone: 'UTC' };
    expect(inWindow({ ...w, days: [...w.days] }, new Date('2026-11-25T23:00:00Z'))).toBe(true);
    expect(inWindow({ ...w, days: [...w.days] }, new Date('2026-11-25T05:59:00Z'))).toBe(true);
    expect(inWindow({ ...w, days: [...w.days] }, new Date('2026-11-25T12:00:00Z'))).toBe(false);
  });

  it('a batch gets the strictest tier of its parts under rules too', () => {
    const e = engineWith([{ name: 'ask-orders', tables: ['orders'], tier: 'ask' }]);
    const d = e.decide('SELECT 1; SELECT * FROM orders');
    expect(d).toMatchObject({ decision: 'ask', rule: 'config.ask-orders' });
    expect(d.statements.map((s) => s.decision)).toEqual(['auto', 'ask']);
  });
});

describe('config validation', () => {
  it('names the bad key', () => {
    expect(() => parseConfig({ policy: { rules: [{ name: 'x', tier: 'maybe' }] } })).toThrow(/policy\.rules\.0\.tier/);
    expect(() => parseConfig({ policy: { rules: [{ name: 'x', tier: 'ask', kinds: ['reed'] }] } })).toThrow(/policy\.rules\.0\.kinds\.0/);
    expect(() => parseConfig({ wire: { port: 'abc' } })).toThrow(/wire\.port/);
    expect(() => parseConfig({ upstreem: {} })).toThrow(/upstreem|Unrecognized/);
    expect(() => parseConfig({ policy: { rules: [{ name: 'w', tier: 'ask', window: { from: '25:00' } }] } })).toThrow(
      /policy\.rules\.0\.window\.from/,
    );
  });

  it('accepts an empty config with defaults', () => {
    const c = parseConfig({});
    expect(c.wire.port).toBe(6432);
    expect(c.policy.rules).toEqual([]);
  });
});
