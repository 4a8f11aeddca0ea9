// Review facts from real records' shapes: risk hints (many rows, no WHERE found in the parse tree —
// also inside a writable CTE —, production target, no preview, several statements, dual approval),
// changed cells shared with the CLI, and the API request of an API-call approval.
import { describe, it, expect, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { initPolicy, PolicyEngine } from '../../src/policy/engine.js';
import { reviewFacts } from '../../src/approvals/review-facts.js';
import { changedColumns } from '../../src/domain/preview-diff.js';
import type { ApprovalRecord } from '../../src/domain/approval.js';

let engine: PolicyEngine;
beforeAll(async () => {
  await initPolicy();
  engine = new PolicyEngine({ maxStatementBytes: 1 << 20, maxTimeoutMs: 300_000, maxSleepSeconds: 1, cacheSize: 100, rules: [] });
});

const SETTINGS = { manyRowsThreshold: 100, productionTargets: ['*prod*'] };

function rec(sql: string, over: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const now = Date.now();
  return {
    call: null,
    id: randomUUID(),
    status: 'pending',
    createdAt: now,
    updatedAt: now,
    expiresAt: now + 60_000,
    agentId: 'a',
    agentName: 'bot',
    door: 'wire',
    database: 'shop',
    sql,
    params: null,
    binding: 'b',
    decision: engine.decide(sql, {}),
    preview: { available: true, affectedRows: 1, rows: [{ id: 1, plan: 'pro' }], before: [{ id: 1, plan: 'free' }] },
    requiredApprovals: 1,
    approvals: [],
    deniedBy: null,
    comment: null,
    result: null,
    error: null,
    attempts: 0,
    version: 1,
    requestKey: null,
    grantUsedAt: null,
    ...over,
  };
}

const codes = (r: ApprovalRecord) => reviewFacts(r, SETTINGS).risks.map((h) => h.code);

describe('review facts', () => {
  it('a small filtered UPDATE is low risk; its changed cell is the one the CLI marks', () => {
    const f = reviewFacts(rec("UPDATE customers SET plan = 'pro' WHERE id = 1"), SETTINGS, 2);
    expect(f).toMatchObject({
      risk: 'low',
      risks: [],
      target: { kind: 'database', name: 'shop' },
      changed: [['plan']],
      waiting: 2,
      request: null,
    });
    expect(f.tables).toEqual(['customers']);
    expect(changedColumns([{ a: 1, b: null }], [{ a: 1, b: 'x' }])).toEqual([['b']]);
    expect(changedColumns([{ a: { x: 1 } }], [{ a: { x: 1 } }])).toEqual([[]]);
  });

  it('finds UPDATE/DELETE without WHERE in the tree, also in a writable CTE, never in text or comments', () => {
    expect(codes(rec('UPDATE customers SET plan = $1'))).toContain('no-where');
    expect(reviewFacts(rec('UPDATE public.customers SET plan = 1'), SETTINGS).risks[0].text).toBe(
      'UPDATE public.customers has no WHERE clause: every row',
    );
    expect(codes(rec('WITH d AS (DELETE FROM invoices RETURNING id) SELECT count(*) FROM d'))).toContain('no-where');
    expect(codes(rec('UPDATE t SET a = 1 WHERE id = 2 -- UPDATE t SET a = 2'))).not.toContain('no-where');
    expect(codes(rec("UPDATE t SET note = 'UPDATE t SET a = 1' WHERE id = 1"))).not.toContain('no-where');
    expect(reviewFacts(rec('UPDATE t SET a = 1'), SETTINGS).risk).toBe('high');
  });

  it('many rows, production targets, missing preview, several statements, schema changes, dual approval', () => {
    expect(codes(rec('UPDATE t SET a = 1 WHERE b', { preview: { available: true, affectedRows: 101 } }))).toEqual(['many-rows']);
    expect(codes(rec('UPDATE t SET a = 1 WHERE b', { database: 'shop_PROD_eu' }))).toEqual(['production']);
    expect(
      codes(rec('UPDATE t SET a = 1 WHERE b', { preview: { available: false, reason: 'preview unavailable: calls nextval' } })),
    ).toEqual(['no-preview']);
    expect(codes(rec('UPDATE t SET a = 1 WHERE b; UPDATE u SET c = 2 WHERE d'))).toContain('multi-statement');
    expect(codes(rec('CREATE INDEX i ON t (a)', { preview: null }))).toEqual(expect.arrayContaining(['schema-change', 'no-preview']));
    expect(codes(rec('UPDATE t SET a = 1 WHERE b', { requiredApprovals: 2 }))).toEqual(['dual-approval']);
  });

  it('an API-call approval names its integration and carries its exact request', () => {
    const r = rec('', { door: 'api', database: 'payments-prod', preview: null, decision: null });
    Object.assign(r, { request: { method: 'POST', url: 'https://api.example.com/refunds', headers: { 'x-a': 1 }, body: { amount: 5 } } });
    const f = reviewFacts(r, SETTINGS);
    expect(f.target).toEqual({ kind: 'integration', name: 'payments-prod' });
    expect(f.request).toEqual({ method: 'POST', url: 'https://api.example.com/refunds', headers: { 'x-a': '1' }, body: { amount: 5 } });
    expect(f.risks.map((h) => h.code)).toEqual(['production']);
    expect(reviewFacts(rec('', { door: 'api', preview: null, decision: null }), SETTINGS).request).toBeNull();
  });

  it('an API call held from MCP or the CLI is an API call too: its stored call gives the request', () => {
    const call = {
      integration: 'stripe',
      method: 'create_refund',
      args: { amount: 5, charge: 'ch_1' },
      request: { method: 'POST', url: 'https://api.stripe.com/v1/refunds', body: { amount: 5, charge: 'ch_1' } },
    };
    const f = reviewFacts(
      rec('POST https://api.stripe.com/v1/refunds', { door: 'mcp', database: 'stripe', call, decision: null }),
      SETTINGS,
    );
    expect(f.target).toEqual({ kind: 'integration', name: 'stripe' });
    expect(f.request).toEqual(call.request);
    expect(f.risks.map((h) => h.code)).not.toContain('no-where');
  });
});
