// A CLI command never creates a store it was not asked to create: run in the wrong folder (or with
// a mistyped --store) it says so instead of answering from a new, empty store.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'airlock-nostore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a store that does not exist', () => {
  it('is reported by every command but migrate, and nothing is created', async () => {
    const env = { AIRLOCK_STORE_URL: '', REDIS_URL: '' };
    for (const args of [
      ['approvals', 'list'],
      ['approvals', 'approve', '00000000-0000-0000-0000-000000000000', '--as', 'rita'],
      ['agents', 'list'],
      ['agents', 'create', 'bot'],
      ['audit', 'list'],
      ['audit', 'verify'],
      ['reviewers', 'list'],
    ]) {
      const r = await runCli(args, { cwd: dir, env });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/airlock\.sqlite does not exist.*airlock migrate/s);
    }
    expect(readdirSync(dir)).toEqual([]);
    const m = await runCli(['migrate'], { cwd: dir, env });
    expect(m.code, m.stderr).toBe(0);
    expect(existsSync(join(dir, 'airlock.sqlite'))).toBe(true);
    const list = await runCli(['approvals', 'list'], { cwd: dir, env });
    expect(list).toMatchObject({ code: 0, stdout: 'no approvals\n' });
  });
});
