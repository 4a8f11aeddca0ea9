// The migrate / agents / audit commands as real processes against a temp SQLite file (and PG once).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import { loadMigrations } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/open.js';
import { TARGETS, type StoreTarget } from '../store/fixtures.js';
import { alterEvent, deleteEvent, sqliteRaw } from '../store/audit-tamper.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** the CLI under test; AIRLOCK_CLI_ENTRY can point elsewhere (e.g. a trimmed entry while main.ts is broken) */
const ENTRY = process.env.AIRLOCK_CLI_ENTRY ?? 'src/cli/main.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function airlock(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', ENTRY, ...args],
      { cwd: ROOT, env: { ...process.env, AIRLOCK_STORE_URL: '', AIRLOCK_CONFIG: '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const jsonLines = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

describe('airlock migrate / agents / audit (sqlite file)', () => {
  let dir: string;
  let url: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
    url = `sqlite:${join(dir, 'store.sqlite')}`;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrate applies once, then reports nothing to do', async () => {
    const first = await airlock(['migrate', '--store', url, '--json']);
    expect(first).toMatchObject({ code: 0 });
    expect(JSON.parse(first.stdout).applied).toEqual(loadMigrations('sqlite').map((m) => m.version));
    const second = await airlock(['migrate', '--json'], { AIRLOCK_STORE_URL: url });
    expect(JSON.parse(second.stdout).applied).toEqual([]);
  });

  it('agents create prints a working token once; list and revoke; errors exit 1', async () => {
    const created = await airlock(['agents', 'create', 'cli-bot', '--store', url, '--json']);
    expect(created.code).toBe(0);
    const { id, token, name } = JSON.parse(created.stdout);
    expect(name).toBe('cli-bot');
    const store = await openStore(url);
    try {
      expect((await store.authenticateAgent('cli-bot', token))?.id).toBe(id);
    } finally {
      await store.close();
    }
    const dup = await airlock(['agents', 'create', 'cli-bot', '--store', url]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
    const list = await airlock(['agents', 'list', '--store', url, '--json']);
    expect(jsonLines(list.stdout)).toEqual([expect.objectContaining({ id, name: 'cli-bot', revokedAt: null })]);
    expect(list.stdout).not.toContain(token);
    expect((await airlock(['agents', 'revoke', 'cli-bot', '--store', url])).code).toBe(0);
    const after = jsonLines((await airlock(['agents', 'list', '--store', url, '--json'])).stdout);
    expect(after[0].revokedAt).toEqual(expect.any(Number));
    const missing = await airlock(['agents', 'revoke', 'ghost', '--store', url]);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('no agent named "ghost"') });
  });

  it('audit list filters, export writes JSONL, verify fails with the broken seq after tampering', async () => {
    const store = await openStore(url);
    const log = AuditLog.inThread(store);
    for (let i = 0; i < 40; i++) {
      log.append({
        type: 'decision',
        ts: Date.parse('2025-03-01T00:00:00Z') + i * 60_000,
        agent: i % 2 ? 'etl' : 'report',
        decision: i % 4 === 0 ? 'ask' : 'auto',
        data: { sql: `select ${i}`, tables: i % 4 === 0 ? ['billing.invoices'] : ['users'] },
      });
    }
    await log.close();
    await store.close();

    const listed = await airlock([
      'audit',
      'list',
      '--store',
      url,
      '--json',
      '--agent',
      'report',
      '--table',
      'invoices',
      '--decision',
      'ask',
    ]);
    expect(listed.code).toBe(0);
    expect(jsonLines(listed.stdout).map((e) => e.data.sql)).toEqual([36, 32, 28, 24, 20, 16, 12, 8, 4, 0].map((i) => `select ${i}`));
    const windowed = await airlock([
      'audit',
      'list',
      '--store',
      url,
      '--json',
      '--type',
      'decision',
      '--since',
      '2025-03-01T00:10:00Z',
      '--until',
      '2025-03-01T00:12:00Z',
    ]);
    expect(jsonLines(windowed.stdout).map((e) => e.data.sql)).toEqual(['select 12', 'select 11', 'select 10']);
    const human = await airlock(['audit', 'list', '--store', url, '--limit', '2']);
    expect(human.stdout.trim().split('\n')).toHaveLength(2);
    expect(human.stdout).toContain('"select 39"');

    const out = join(dir, 'audit.jsonl');
    const exported = await airlock(['audit', 'export', '--format', 'jsonl', '--out', out, '--store', url]);
    expect(exported.code).toBe(0);
    const lines = jsonLines(readFileSync(out, 'utf8'));
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: lines.length }, (_, i) => i + 1));
    expect(lines.at(-1)).toMatchObject({ type: 'decision', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const ok = await airlock(['audit', 'verify', '--store', url]);
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining('audit chain ok') });

    const target = lines.find((l) => l.data.sql === 'select 20')!;
    // bypass the store: this is what someone with write access to the file would do
    const raw = sqliteRaw(url.slice('sqlite:'.length));
    await alterEvent(raw, target.seq, (e) => ({ ...e, body: { ...e.body, decision: 'auto' } }));
    raw.close();
    const broken = await airlock(['audit', 'verify', '--store', url]);
    expect(broken.code).not.toBe(0);
    expect(broken.stdout).toContain(`BROKEN at seq ${target.seq}`);
    const brokenJson = await airlock(['audit', 'verify', '--json', '--store', url]);
    expect(brokenJson.code).toBe(1);
    expect(JSON.parse(brokenJson.stdout)).toMatchObject({ ok: false, firstBrokenSeq: target.seq });
  });

  it("bad input gets a clear message and exit 1 (64 for a value outside an option's choices), never a stack trace", async () => {
    for (const [args, msg, code] of [
      [['audit', 'list', '--store', url, '--since', 'yesterday'], '--since', 1],
      [['audit', 'list', '--store', url, '--limit', '0'], '--limit', 1],
      [
        ['audit', 'export', '--store', url, '--format', 'csv'],
        "'--format <format>' argument 'csv' is invalid. Allowed choices are jsonl",
        64,
      ],
      [['audit', 'list', '--store', url, '--decision', 'maybe'], 'Allowed choices are auto, ask, block', 64],
      [['audit', 'list', '--store', url, '--type', 'nope'], "'--type <type>' argument 'nope' is invalid", 64],
      [['approvals', 'list', '--store', url, '--status', 'done'], "'--status <status>' argument 'done' is invalid", 64],
      [['audit', 'verify', '--store', 'mysql://db'], 'invalid store URL', 1],
      [['agents', 'create', 'bad name!', '--store', url], 'invalid agent name', 1],
    ] as const) {
      const r = await airlock([...args]);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr).toContain(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('airlock audit verify on PostgreSQL (AIRLOCK_STORE_URL)', () => {
  let target: StoreTarget;
  beforeAll(async () => {
    target = await TARGETS[1].make();
  });
  afterAll(async () => {
    await target.cleanup();
  });

  it('verifies, then reports a deleted row by seq', async () => {
    const store = await target.open();
    const log = AuditLog.inThread(store);
    for (let i = 0; i < 12; i++) log.append({ type: 'request', agent: 'pg-bot', data: { i } });
    await log.close();
    const env = { AIRLOCK_STORE_URL: target.url };
    expect(JSON.parse((await airlock(['audit', 'verify', '--json'], env)).stdout)).toMatchObject({ ok: true, count: 12 });
    await deleteEvent(target, 5);
    const r = await airlock(['audit', 'verify', '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, firstBrokenSeq: 5, count: 4 });
  });
});
