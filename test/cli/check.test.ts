// `airlock check` as a user runs it: the built CLI in a child process.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runCli, AIRLOCK_BIN } from '../helpers/cli.js';

describe('airlock check', () => {
  it('prints a readable verdict per statement and exits 1 for block', async () => {
    const r = await runCli(['check', 'SELECT 1; /* -- */ DROP TABLE t']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^BLOCK/);
    expect(r.stdout).toMatch(/block\.drop/);
    expect(r.stdout).toMatch(/1\. auto/);
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colour when not a TTY
  });

  it('exits 0 for auto and 2 for ask; --json prints one object with a top-level decision', async () => {
    const auto = await runCli(['check', '--json', 'SELECT * FROM accounts']);
    expect(auto.code).toBe(0);
    expect(JSON.parse(auto.stdout)).toMatchObject({ decision: 'auto', rule: 'auto.read' });
    const ask = await runCli(['check', '--json', 'INSERT INTO t VALUES (1)']);
    expect(ask.code).toBe(2);
    expect(JSON.parse(ask.stdout)).toMatchObject({ decision: 'ask', statements: [{ kind: 'write', tablesWritten: ['t'] }] });
  });

  it('applies config rules for --agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-check-'));
    const file = join(dir, 'airlock.yaml');
    writeFileSync(
      file,
      'policy:\n  rules:\n    - name: intern-no-orders\n      agents: [intern]\n      tables: [orders]\n      tier: block\n',
    );
    const r = await runCli(['--config', file, 'check', '--json', '--agent', 'intern', 'SELECT * FROM orders']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).rule).toBe('config.intern-no-orders');
  });

  it('reports an invalid config naming the bad key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-check-'));
    const file = join(dir, 'airlock.yaml');
    writeFileSync(file, 'policy:\n  rules:\n    - name: x\n      tier: sometimes\n');
    const r = await runCli(['--config', file, 'check', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy\.rules\.0\.tier/);
  });

  it('--batch answers every line in order, including bad ones, and keeps going', async () => {
    const lines = [
      JSON.stringify({ sql: 'SELECT 1' }),
      'not json',
      JSON.stringify({ sql: 'DROP TABLE t' }),
      Buffer.from([0xff, 0xfe, 0x7b]).toString('latin1'),
      JSON.stringify({ nope: 1 }),
      JSON.stringify({ sql: '' }),
      JSON.stringify({ sql: 'SELECT 1\u0000; DROP TABLE t' }),
      JSON.stringify({ sql: 'UPDATE t SET a = 1' }),
    ];
    const input = Buffer.concat(lines.map((l, i) => (i === 3 ? Buffer.from([0xff, 0xfe, 0x7b, 0x0a]) : Buffer.from(`${l}\n`))));
    const r = await runCli(['check', '--batch'], { input });
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((o) => o.decision)).toEqual(['auto', 'block', 'block', 'block', 'block', 'block', 'block', 'ask']);
    expect(out[1].error).toMatch(/not JSON/);
    expect(out[3].error).toMatch(/UTF-8/);
    expect(out[6].reason).toMatch(/NUL/);
  });

  it('--batch streams 50,000 lines in order without holding them all', async () => {
    const child = spawn(process.execPath, [AIRLOCK_BIN, 'check', '--batch'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, AIRLOCK_LOG_LEVEL: 'silent' },
    });
    const sqls = ['SELECT 1', 'INSERT INTO t VALUES (1)', 'DROP TABLE t'];
    const expected = ['auto', 'ask', 'block'];
    const total = 50_000;
    // the first answers must arrive before all input is written: proof of streaming
    let firstAnswerAt = -1;
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i < total; i++) {
        const line = `${JSON.stringify({ sql: `${sqls[i % 3]} /* ${i} */` })}\n`;
        written++;
        if (!child.stdin.write(line)) await new Promise((r) => child.stdin.once('drain', r));
      }
      child.stdin.end();
    })();
    let n = 0;
    let inOrder = true;
    for await (const line of createInterface({ input: child.stdout })) {
      if (firstAnswerAt < 0) firstAnswerAt = written;
      const o = JSON.parse(line);
      if (o.decision !== expected[n % 3] || !o.statements[0].sql.includes(`/* ${n} */`)) inOrder = false;
      n++;
    }
    await writer;
    expect(n).toBe(total);
    expect(inOrder).toBe(true);
    expect(firstAnswerAt).toBeLessThan(total);
  }, 120_000);
});
