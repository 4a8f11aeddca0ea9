// Reviewer accounts and console sessions in both stores: scrypt hashes only, sessions stored as
// hashes, idle and absolute expiry, removal ends sessions; and the approval-change feed.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { verifyPassword } from '../../src/store/password-hash.js';
import { TARGETS, useStoreTarget, type StoreTarget } from './fixtures.js';

const TIMES = { idleMs: 60_000, maxMs: 3_600_000 };

describe.each(TARGETS)('reviewers on $kind', ({ make }) => {
  let target: StoreTarget;
  let store: Store;
  useStoreTarget(make, (t, s) => ((target = t), (store = s)));

  it('stores an scrypt hash, never the password, and checks it', async () => {
    const rec = await store.createReviewer('rita', 'correct horse battery', true);
    expect(rec).toMatchObject({ name: 'rita', admin: true });
    const rows = await target.raw('SELECT * FROM reviewers');
    expect(JSON.stringify(rows)).not.toContain('correct horse');
    const hash = String(rows[0].password_hash);
    expect(hash).toMatch(/^scrypt\$15\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await store.checkReviewerPassword('rita', 'correct horse battery')).toMatchObject({ name: 'rita', admin: true });
    expect(await store.checkReviewerPassword('rita', 'correct horse batterY')).toBeNull();
    expect(await store.checkReviewerPassword('nobody', 'correct horse battery')).toBeNull();
    expect(await store.checkReviewerPassword("x' OR '1'='1", 'x')).toBeNull();
  });

  it('refuses duplicate names, bad names and short passwords with clear errors', async () => {
    await store.createReviewer('sam', 'long enough pw', false);
    await expect(store.createReviewer('sam', 'another password', false)).rejects.toThrow(/already exists/);
    await expect(store.createReviewer('bad name', 'long enough pw', false)).rejects.toThrow(/invalid reviewer name/);
    await expect(store.createReviewer('ok', 'short', false)).rejects.toThrow(/at least 8 characters/);
    expect((await store.listReviewers()).map((r) => r.name)).toEqual(['sam']);
  });

  it('keeps sessions as hashes; unknown, expired and removed-account sessions are gone', async () => {
    const rita = await store.createReviewer('rita', 'correct horse battery', false);
    const { token, session } = await store.createReviewerSession(rita, TIMES);
    expect(session.csrf.length).toBeGreaterThan(20);
    expect(JSON.stringify(await target.raw('SELECT * FROM reviewer_sessions'))).not.toContain(token);
    expect(await store.getReviewerSession(token, TIMES.idleMs)).toMatchObject({ reviewer: 'rita', admin: false, csrf: session.csrf });
    expect(await store.getReviewerSession(`${token}x`, TIMES.idleMs)).toBeNull();
    expect(await store.getReviewerSession('', TIMES.idleMs)).toBeNull();

    await target.raw('UPDATE reviewer_sessions SET expires_at = 0');
    expect(await store.getReviewerSession(token, TIMES.idleMs)).toBeNull();
    expect(await target.raw('SELECT * FROM reviewer_sessions')).toEqual([]);

    const again = await store.createReviewerSession(rita, TIMES);
    await target.raw('UPDATE reviewer_sessions SET ends_at = 1');
    expect(await store.getReviewerSession(again.token, TIMES.idleMs)).toBeNull();

    const third = await store.createReviewerSession(rita, TIMES);
    expect(await store.removeReviewer('rita')).toMatchObject({ name: 'rita' });
    expect(await store.getReviewerSession(third.token, TIMES.idleMs)).toBeNull();
    expect(await store.removeReviewer('rita')).toBeNull();
  });

  it('ends a session on sign-out', async () => {
    const rita = await store.createReviewer('rita', 'correct horse battery', false);
    const { token } = await store.createReviewerSession(rita, TIMES);
    await store.deleteReviewerSession(token);
    expect(await store.getReviewerSession(token, TIMES.idleMs)).toBeNull();
  });

  it('lists approval changes since a time, oldest first', async () => {
    const before = Date.now();
    const id = randomUUID();
    await store.insertApproval({
      id,
      status: 'pending',
      expiresAt: Date.now() + 60_000,
      agentId: 'a',
      agentName: 'bot',
      door: 'wire',
      database: 'app',
      sql: 'UPDATE t SET x = 1',
      binding: randomUUID(),
    });
    const first = await store.listApprovalChanges(before);
    expect(first).toEqual([expect.objectContaining({ id, status: 'pending', version: 1 })]);
    await store.updateApproval(id, { fromStatus: ['pending'], patch: { status: 'denied' } });
    const second = await store.listApprovalChanges(before);
    expect(second).toEqual([expect.objectContaining({ id, status: 'denied', version: 2 })]);
    expect(await store.listApprovalChanges(Date.now() + 10_000)).toEqual([]);
  });
});
