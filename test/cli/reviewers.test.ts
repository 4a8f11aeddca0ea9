// `airlock reviewers` as an operator runs it: the password comes in on stdin, only a hash is kept,
// list/remove work, bad input gets a clear message and exit 1, and every change is audited.
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { openStore } from '../../src/store/open.js';

const dir = mkdtempSync(join(tmpdir(), 'airlock-reviewers-'));
const storeUrl = `sqlite:${join(dir, 'store.sqlite')}`;
const env = { AIRLOCK_STORE_URL: storeUrl, REDIS_URL: '' };

beforeAll(async () => {
  // commands other than migrate and serve never create a store
  expect((await runCli(['migrate'], { env })).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('airlock reviewers', () => {
  it('adds reviewers and admins with the password from stdin, lists and removes them', async () => {
    const add = await runCli(['reviewers', 'add', 'rita', '--admin'], { env, input: 'correct horse battery\n' });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toBe('added admin rita\n');
    const sam = await runCli(['reviewers', 'add', 'sam', '--json'], { env, input: 'another long password' });
    expect(sam.code).toBe(0);
    expect(JSON.parse(sam.stdout)).toMatchObject({ name: 'sam', admin: false });

    const list = await runCli(['reviewers', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.name, r.admin])).toEqual([
      ['rita', true],
      ['sam', false],
    ]);
    expect(list.stdout).not.toMatch(/scrypt|password/);

    const store = await openStore(storeUrl);
    try {
      expect(await store.checkReviewerPassword('rita', 'correct horse battery')).toMatchObject({ admin: true });
      expect(await store.checkReviewerPassword('rita', 'correct horse battery\n')).toBeNull();
    } finally {
      await store.close();
    }

    const remove = await runCli(['reviewers', 'remove', 'sam'], { env });
    expect(remove.code).toBe(0);
    expect(remove.stdout).toBe('removed reviewer sam\n');
    const text = await runCli(['reviewers', 'list'], { env });
    expect(text.stdout).toMatch(/^rita\s+admin\s+created \d{4}-/);
    expect(text.stdout).not.toMatch(/sam/);

    const audit = await runCli(['audit', 'list', '--json', '--limit', '50'], { env });
    const types = audit.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((e) => `${e.type}:${e.data.reviewer}`);
    expect(types).toEqual(expect.arrayContaining(['reviewer.created:rita', 'reviewer.created:sam', 'reviewer.removed:sam']));
  });

  it('refuses a missing or short password, a duplicate and an unknown name with a clear message', async () => {
    const cases: [string[], string, RegExp][] = [
      [['reviewers', 'add', 'nopw'], '', /no password on stdin/],
      [['reviewers', 'add', 'shorty'], 'abc\n', /at least 8 characters/],
      [['reviewers', 'add', 'rita'], 'yet another password\n', /reviewer "rita" already exists/],
      [['reviewers', 'add', 'bad name'], 'long enough password\n', /invalid reviewer name/],
      [['reviewers', 'remove', 'nobody'], '', /reviewer "nobody" does not exist/],
    ];
    for (const [args, input, message] of cases) {
      const r = await runCli(args, { env, input });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });
});
