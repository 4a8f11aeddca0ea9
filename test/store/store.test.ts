import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AirlockError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import type { NewApproval } from '../../src/domain/approval.js';
import { ph, TARGETS, useStoreTarget, type StoreTarget } from './fixtures.js';
import { loadMigrations } from '../../src/store/migrate.js';

/** every shipped migration version (both dialects ship the same numbers) */
const ALL_VERSIONS = loadMigrations('sqlite').map((m) => m.version);

const approval = (over: Partial<NewApproval> = {}): NewApproval => ({
  id: randomUUID(),
  status: 'pending',
  expiresAt: Date.now() + 60_000,
  agentId: 'a1',
  agentName: 'bot',
  door: 'wire',
  database: 'app',
  sql: 'UPDATE t SET x = 1 WHERE id = $1',
  params: [42],
  binding: createHash('sha256').update(randomUUID()).digest('hex'),
  ...over,
});

describe.each(TARGETS)('store on $kind', ({ make }) => {
  let target: StoreTarget;
  let store: Store;
  useStoreTarget(make, (t, s) => ((target = t), (store = s)));

  describe('migrations', () => {
    it('are recorded once and re-running applies nothing', async () => {
      expect(await store.migrate()).toEqual([]);
      const again = await target.open();
      expect(await again.migrate()).toEqual([]);
      const rows = await target.raw('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => Number(r.version))).toEqual(ALL_VERSIONS);
    });

    it('concurrent runners on fresh storage apply each version exactly once', async () => {
      const fresh = await make();
      try {
        // more runners than libuv's 4 threadpool threads: waiting for the lock must not starve its holder
        const runners = await Promise.all(Array.from({ length: 8 }, () => fresh.open({ migrate: false })));
        const applied = await Promise.all(runners.map((s) => s.migrate()));
        expect(applied.flat().sort((a, b) => a - b)).toEqual(ALL_VERSIONS);
        expect(applied.filter((a) => a.length).length).toBe(1);
        const rows = await fresh.raw('SELECT version FROM schema_migrations ORDER BY version');
        expect(rows.map((r) => Number(r.version))).toEqual(ALL_VERSIONS);
        // all of them can use the schema right away
        await Promise.all(runners.map((s, i) => s.createAgent(`agent-${i}`)));
        expect((await runners[0].listAgents()).length).toBe(8);
      } finally {
        await fresh.cleanup();
      }
    });
  });

  describe('agents', () => {
    it('creates an agent whose token authenticates, storing only hashes', async () => {
      const { agent, token } = await store.createAgent('report-bot');
      expect(token).toMatch(/^al_[A-Za-z0-9_-]{43}$/);
      expect(agent).toMatchObject({ name: 'report-bot', revokedAt: null });
      expect(await store.authenticateAgent('report-bot', token)).toEqual(agent);
      expect(await store.authenticateAgent('report-bot', token + 'x')).toBeNull();
      expect(await store.authenticateAgent('nobody', token)).toBeNull();
      expect(await store.getAgentTokenHash('report-bot')).toBe(createHash('sha256').update(token).digest('hex'));
      const [row] = await target.raw(`SELECT * FROM agents WHERE name = ${ph(target.kind, 1)}`, ['report-bot']);
      expect(JSON.stringify(row)).not.toContain(token);
      expect(String(row.scram_verifier)).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
      const auth = await store.getAgentAuth('report-bot');
      expect(auth?.scramVerifier).toBe(row.scram_verifier);
      expect(await store.findAgentByName('report-bot')).toEqual(agent);
    });

    it('revoking stops authentication and hides auth material, and is idempotent', async () => {
      const { token } = await store.createAgent('temp');
      await store.createAgent('other');
      const revoked = await store.revokeAgent('temp');
      expect(revoked?.revokedAt).toEqual(expect.any(Number));
      expect((await store.revokeAgent('temp'))?.revokedAt).toBe(revoked?.revokedAt);
      expect(await store.revokeAgent('ghost')).toBeNull();
      expect(await store.authenticateAgent('temp', token)).toBeNull();
      expect(await store.getAgentAuth('temp')).toBeNull();
      expect(await store.getAgentTokenHash('temp')).toBeNull();
      expect((await store.listAgents()).map((a) => [a.name, a.revokedAt !== null])).toEqual([
        ['other', false],
        ['temp', true],
      ]);
    });

    it('refuses duplicate and malformed names with clear errors', async () => {
      await store.createAgent('dup');
      await expect(store.createAgent('dup')).rejects.toMatchObject({ httpStatus: 409, message: expect.stringContaining('dup') });
      await expect(store.createAgent("x'; drop table agents; --")).rejects.toMatchObject({ code: '22023' });
      await expect(store.createAgent('')).rejects.toBeInstanceOf(AirlockError);
      // concurrent creation of one name: exactly one wins
      const results = await Promise.allSettled([store.createAgent('race'), (await target.open()).createAgent('race')]);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
    });
  });

  describe('approvals', () => {
    it('inserts with defaults and reads back every field', async () => {
      const rec = await store.insertApproval(
        approval({ preview: { available: true, affectedRows: 1, rows: [{ id: 42, x: 1 }] }, requiredApprovals: 2 }),
      );
      expect(rec).toMatchObject({ status: 'pending', version: 1, attempts: 0, approvals: [], params: [42], requiredApprovals: 2 });
      expect(rec.updatedAt).toBe(rec.createdAt);
      expect(await store.getApproval(rec.id)).toEqual(rec);
      expect(await store.getApproval('nope')).toBeNull();
      await expect(store.insertApproval({ ...approval(), id: rec.id })).rejects.toMatchObject({ httpStatus: 409 });
      await expect(store.insertApproval(approval({ status: 'bogus' as never }))).rejects.toMatchObject({ code: '22023' });
    });

    it('compare-and-set: of concurrent pending→approved updates exactly one wins', async () => {
      const other = await target.open();
      for (let round = 0; round < 5; round++) {
        const rec = await store.insertApproval(approval());
        const attempts = [store, other, store, other].map((s, i) =>
          s.updateApproval(rec.id, {
            fromStatus: ['pending'],
            patch: { status: 'approved', approvals: [{ reviewer: `r${i}`, at: Date.now() }] },
          }),
        );
        const won = (await Promise.all(attempts)).filter((r) => r !== null);
        expect(won.length).toBe(1);
        const final = await store.getApproval(rec.id);
        expect(final).toMatchObject({ status: 'approved', version: 2 });
        expect(final?.approvals).toEqual(won[0]!.approvals);
      }
    });

    it('expectVersion guards read-modify-write; bad patches are refused', async () => {
      const rec = await store.insertApproval(approval({ requiredApprovals: 2 }));
      const v1 = { reviewer: 'alice', at: 1 };
      const a = await store.updateApproval(rec.id, { fromStatus: ['pending'], expectVersion: 1, patch: { approvals: [v1] } });
      expect(a).toMatchObject({ version: 2, status: 'pending', approvals: [v1] });
      const stale = await store.updateApproval(rec.id, { fromStatus: ['pending'], expectVersion: 1, patch: { approvals: [] } });
      expect(stale).toBeNull();
      const done = await store.updateApproval(rec.id, {
        fromStatus: ['approved', 'executing'],
        patch: { status: 'executed', result: { rowCount: 1 } },
      });
      expect(done).toBeNull();
      await expect(store.updateApproval(rec.id, { fromStatus: ['pending'], patch: { id: 'x' } as never })).rejects.toMatchObject({
        code: '22023',
      });
      await expect(store.updateApproval(rec.id, { fromStatus: [], patch: {} })).rejects.toMatchObject({ code: '22023' });
      expect(await store.updateApproval('missing', { fromStatus: ['pending'], patch: { status: 'denied' } })).toBeNull();
    });

    it('lists by status, agent and binding', async () => {
      const b = 'ab'.repeat(32);
      const p1 = await store.insertApproval(approval({ agentName: 'x', createdAt: 1000, binding: b }));
      const p2 = await store.insertApproval(approval({ agentName: 'y', createdAt: 2000, binding: b }));
      await store.insertApproval(approval({ agentName: 'x', createdAt: 3000, status: 'denied' }));
      expect((await store.listApprovals()).map((r) => r.createdAt)).toEqual([3000, 2000, 1000]);
      expect((await store.listApprovals({ status: 'pending' })).map((r) => r.id)).toEqual([p2.id, p1.id]);
      expect((await store.listApprovals({ agent: 'x', limit: 1 })).map((r) => r.createdAt)).toEqual([3000]);
      expect((await store.listApprovals({ status: ['denied', 'pending'], agent: 'x' })).length).toBe(2);
      expect((await store.listApprovalsByStatus(['pending'])).map((r) => r.id)).toEqual([p1.id, p2.id]);
      expect((await store.findApprovalByBinding(b, ['pending']))?.id).toBe(p2.id);
      expect(await store.findApprovalByBinding(b, ['approved'])).toBeNull();
      await expect(store.listApprovals({ limit: 0 })).rejects.toMatchObject({ code: '22023' });
    });
  });

  it('finds an agent by bearer token and an approval by request key', async () => {
    const { agent, token } = await store.createAgent('bearer-bot');
    expect(await store.authenticateToken(token)).toEqual(agent);
    expect(await store.authenticateToken(token.slice(0, -1))).toBeNull();
    expect(await store.authenticateToken('')).toBeNull();
    await store.revokeAgent('bearer-bot');
    expect(await store.authenticateToken(token)).toBeNull();
    const rec = await store.insertApproval(approval({ requestKey: 'rk-1' }));
    expect(rec).toMatchObject({ requestKey: 'rk-1', grantUsedAt: null });
    expect((await store.findApprovalByRequestKey('rk-1', ['pending']))?.id).toBe(rec.id);
    const used = await store.updateApproval(rec.id, { fromStatus: ['pending'], patch: { grantUsedAt: 123 } });
    expect(used?.grantUsedAt).toBe(123);
    expect(await store.findApprovalByRequestKey('rk-1', ['executed'])).toBeNull();
  });

  describe('vault', () => {
    it('puts, replaces, lists and deletes ciphertexts', async () => {
      await store.putSecret({ name: 'github', ciphertext: 'c1', iv: 'i1', tag: 't1' });
      await store.putSecret({ name: 'aws', ciphertext: 'c2', iv: 'i2', tag: 't2' });
      const first = await store.getSecret('github');
      await new Promise((r) => setTimeout(r, 5));
      await store.putSecret({ name: 'github', ciphertext: 'c3', iv: 'i3', tag: 't3' });
      const second = await store.getSecret('github');
      expect(second).toMatchObject({ ciphertext: 'c3', iv: 'i3', tag: 't3', createdAt: first!.createdAt });
      expect(second!.updatedAt).toBeGreaterThan(first!.updatedAt);
      expect(await store.listSecretNames()).toEqual(['aws', 'github']);
      expect(await store.deleteSecret('aws')).toBe(true);
      expect(await store.deleteSecret('aws')).toBe(false);
      expect(await store.getSecret('aws')).toBeNull();
      await expect(store.putSecret({ name: '', ciphertext: 'c', iv: 'i', tag: 't' })).rejects.toMatchObject({ code: '22023' });
    });
  });
});
