import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, parseStoreUrl } from '../../src/store/open.js';

describe('openStore', () => {
  it('parses sqlite and postgres URLs', () => {
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', path: ':memory:' });
    expect(parseStoreUrl('sqlite:data/a.db')).toEqual({ kind: 'sqlite', path: join(process.cwd(), 'data/a.db') });
    expect(parseStoreUrl('sqlite:///var/a.db')).toEqual({ kind: 'sqlite', path: '/var/a.db' });
    expect(parseStoreUrl('postgres://u@h/db')).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
  });

  it('names a bad URL without leaking its password', async () => {
    for (const bad of ['', 'mysql://u:hunter2@h/db', 'sqlite:', 'file.db']) {
      await expect(openStore(bad)).rejects.toMatchObject({ code: 'F0000', message: expect.stringMatching(/store URL/) });
    }
    await expect(openStore('mysql://u:hunter2@h/db')).rejects.toThrow(/u:\*\*\*@h/);
    await expect(openStore('postgresql://root@127.0.0.1/test', { schema: 'bad-name;' })).rejects.toMatchObject({ code: 'F0000' });
  });

  it('reports unreachable PostgreSQL and unopenable SQLite as clear errors', async () => {
    await expect(openStore('postgresql://root:pw@127.0.0.1:1/test')).rejects.toMatchObject({
      code: '08006',
      message: expect.stringMatching(/cannot open PostgreSQL store postgresql:\/\/root:\*\*\*@127\.0\.0\.1:1\/test/),
    });
    const dir = mkdtempSync(join(tmpdir(), 'airlock-open-'));
    try {
      await expect(openStore(`sqlite:${join(dir, 'missing', 'dir', 'a.db')}`)).rejects.toMatchObject({ code: 'F0000' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives each sqlite::memory: store its own data', async () => {
    const a = await openStore('sqlite::memory:');
    const b = await openStore('sqlite::memory:');
    await a.createAgent('only-in-a');
    expect((await b.listAgents()).length).toBe(0);
    await Promise.all([a.close(), b.close(), a.close()]);
  });
});
