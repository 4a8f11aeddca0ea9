// The reviewer's whole story in headless Chromium against everything `airlock serve` runs: psql
// sends an UPDATE through the wire proxy and waits; the reviewer opens the review URL from psql's
// NOTICE, signs in, sees before and after, approves; psql gets its result; the audit page tells
// the story and verifies. Also: the live list, deny with a reason, dual approval by two reviewers.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, openAs, reviewerContext, screenshot, signIn } from '../helpers/browser.js';
import { PASSWORD, startConsoleServer, type ConsoleServer } from '../helpers/console-server.js';

let server: ConsoleServer;
let browser: Browser;
let rita: { context: BrowserContext; page: Page; problems: string[] };

beforeAll(async () => {
  server = await startConsoleServer({
    accounts: [{ name: 'rita', admin: true }, { name: 'sam' }],
    // two preview rows at most: a bigger change shows "showing 2 of N"
    approvals: { previewRowLimit: 2, thresholds: [{ table: 'invoices', dualApprovalAboveRows: 1 }] },
    policy: {
      rules: [
        { name: 'reports-read-only', agents: ['report-bot'], kinds: ['write'], tier: 'block', reason: 'reporting agents only read' },
        { name: 'audit-log-asks', tables: ['audit_log'], tier: 'ask', reason: 'the audit log is reviewed' },
      ],
    },
    extra: { console: { manyRowsThreshold: 2 } },
  });
  browser = await launchBrowser();
  rita = await reviewerContext(browser);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** psql running one statement through the proxy; resolves the review URL from its NOTICE. */
function psql(sql: string) {
  const child = spawn('psql', ['-X', '-At', server.wireUrl, '-c', sql], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => (out += b));
  const reviewUrl = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (b) => {
      err += b;
      const m = /Review at (http:\/\/\S+);/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error(`psql exited before a review URL:\n${err}`)));
  });
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, out, err })),
  );
  return { reviewUrl, done };
}

describe('reviewing in the console', () => {
  it('psql waits; the review URL from its NOTICE leads through sign-in to the before/after; Approve runs it', async () => {
    const run = psql("UPDATE customers SET plan = 'pro' WHERE id = 3");
    const url = await run.reviewUrl;
    expect(url).toMatch(new RegExp(`^${server.base}/approvals/[0-9a-f-]{36}$`));
    const { page } = rita;
    await page.goto(url);
    await page.waitForURL(/\/sign-in\?next=%2Fapprovals%2F/);
    await screenshot(page, 'sign-in');
    await signIn(page, 'rita', PASSWORD);
    await page.waitForURL(url);

    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toMatch(/wants to change customers/);
    await expect.poll(() => page.locator('.effect').textContent()).toMatch(/1 row would change · showing all 1 · 1 changed cell marked/);
    const before = page.getByRole('table', { name: 'Before' });
    const after = page.getByRole('table', { name: 'After' });
    expect(await before.locator('tbody td').allTextContents()).toEqual(expect.arrayContaining(['3', 'Edsger Dijkstra', 'free']));
    expect(await after.locator('td.changed').allTextContents()).toEqual(['pro (changed from free)']);
    expect(await after.locator('td.changed').getAttribute('title')).toBe('was free');
    await expect.poll(() => page.locator('.badges').textContent()).toMatch(/Pending.*Postgres wire.*client waiting/);
    expect(await page.locator('.facts').textContent()).toMatch(/rule\s+\S+: .*Expires\s*in \d+:\d\d/s);
    await expect.poll(() => page.locator('pre.sql .tok-keyword').first().textContent()).toBe('UPDATE');
    await screenshot(page, 'approval-update');

    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toMatch(/You approved this at/);
    const result = await run.done;
    expect(result.err).not.toMatch(/ERROR/);
    expect(result.code).toBe(0);
    expect(result.out.trim()).toBe('UPDATE 1');
    expect((await server.admin.query('SELECT plan FROM customers WHERE id = 3')).rows[0].plan).toBe('pro');
    // the page follows the execution live (server-sent events)
    await expect.poll(() => page.locator('.outcome').textContent(), { timeout: 15_000 }).toMatch(/^Executed at .* after approval by rita$/);
    await expect
      .poll(() => page.locator('.timeline').textContent())
      .toMatch(/asked via wire.*approved by rita.*execution started.*executed: 1 row/s);
    await expect.poll(() => page.locator('.outcome-received').textContent()).toMatch(/^The agent received the result at /);
    await screenshot(page, 'approval-executed');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL(`${server.base}/audit`);
    await expect.poll(() => page.locator('.verify').textContent()).toMatch(/Verified: \d+ events intact/);
    const id = url.split('/').at(-1)!;
    // the whole story of this agent, oldest first: connected, asked, held, approved, executed
    await page.getByLabel('Agent').fill(server.agent.name);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(async () => (await page.locator('.events .etype').allTextContents()).reverse().join(' '))
      .toMatch(/auth\.ok decision approval\.created approval\.approved execution\.started execution\.executed/);
    await page.getByLabel('Agent').fill('');
    await page.getByLabel('Search').fill(id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(async () => (await page.locator('.events .etype').allTextContents()).join(' '))
      .toBe('execution.executed execution.started approval.approved approval.created');
    await page.locator('.events summary', { hasText: 'approval.approved' }).click();
    expect(await page.locator('.events details[open] pre.json').textContent()).toMatch(/"reviewer": "rita"/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export JSONL' }).click()]);
    const lines = (await (await download.createReadStream()).toArray())
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['approval.created', 'approval.approved', 'execution.started', 'execution.executed']);
    expect(lines.every((l) => l.approval_id === id && /^[0-9a-f]{64}$/.test(l.hash))).toBe(true);
    await screenshot(page, 'audit');
    expect(rita.problems).toEqual([]);
  });

  it('the pending list updates live and filters; a deny with a preset reason reaches psql', async () => {
    const { page } = rita;
    await openAs(page, `${server.base}/`, 'rita', PASSWORD);
    await expect.poll(() => page.locator('.empty, .items').first().textContent()).toMatch(/Nothing waiting|customers/);
    const run = psql("UPDATE invoices SET status = 'void' WHERE id = 102");
    const url = await run.reviewUrl;
    const id = url.split('/').at(-1)!;
    const item = page.locator(`li[data-id="${id}"]`);
    await expect.poll(() => item.count(), { timeout: 10_000 }).toBe(1);
    const text = (await item.textContent()) ?? '';
    expect(text).toContain(server.agent.name);
    expect(text).toMatch(/Postgres wire.*database\s*\S+.*Pending/);
    expect(text).toMatch(/1 row.*asked .*expires in \d+:\d\d.*client waiting/);
    await screenshot(page, 'pending-list');

    await page.getByLabel('Door').selectOption('mcp');
    await expect.poll(() => page.locator('.empty').textContent()).toBe('No approvals match.');
    await page.getByLabel('Door').selectOption('wire');
    await expect.poll(() => item.count()).toBe(1);

    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await page.keyboard.press('Enter');
    await page.waitForURL(url);
    await page.getByLabel('Reason for denying').selectOption('Needs a change ticket first');
    await page.getByLabel('Comment').fill('open CHG-1 first');
    await page.getByRole('button', { name: 'Deny' }).click();
    const result = await run.done;
    expect(result.code).not.toBe(0);
    expect(result.err).toMatch(/ERROR: {2}approval \S+ denied by rita: Needs a change ticket first: open CHG-1 first/);
    await expect
      .poll(() => page.locator('.outcome').textContent())
      .toMatch(/^Denied by rita at .*: Needs a change ticket first: open CHG-1 first$/);
    expect((await server.admin.query('SELECT status FROM invoices WHERE id = 102')).rows[0].status).toBe('open');
    expect(rita.problems).toEqual([]);
  });

  it('dual approval: two reviewers in their own browsers, progress with names, then psql gets the result', async () => {
    const run = psql("UPDATE invoices SET status = 'paid' WHERE status <> 'paid'");
    const url = await run.reviewUrl;
    const { page } = rita;
    await openAs(page, url, 'rita', PASSWORD);
    await expect
      .poll(() => page.locator('.risks').textContent())
      .toMatch(/3 rows change \(more than 2\).*2 different reviewers must approve/);
    expect(await page.locator('.effect').textContent()).toBe('3 rows would change · showing 2 of 3 · 2 changed cells marked');
    expect(await page.locator('.badges').textContent()).toMatch(/High risk/);
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toMatch(/1 of 2 approvals so far/);
    expect(await page.locator('.votes').textContent()).toMatch(/1 of 2 approvals.*approved by rita/);
    expect(await page.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    await screenshot(page, 'approval-dual-first');

    const sam = await reviewerContext(browser, { width: 375, height: 812 });
    await sam.page.goto(url);
    await signIn(sam.page, 'sam', PASSWORD);
    await sam.page.waitForURL(url);
    await expect.poll(() => sam.page.locator('.votes').textContent()).toMatch(/1 of 2 approvals.*approved by rita/);
    // readable at phone width: the page itself never scrolls sideways, wide tables scroll in their box
    expect(await sam.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    await screenshot(sam.page, 'approval-phone');
    // keyboard: a goes to Approve, Enter presses it
    await sam.page.keyboard.press('a');
    expect(await sam.page.evaluate('document.activeElement.textContent')).toBe('Approve');
    await sam.page.keyboard.press('Enter');
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.out.trim()).toBe('UPDATE 3');
    await expect.poll(() => page.locator('.outcome').textContent(), { timeout: 15_000 }).toMatch(/Executed .* by rita and sam/);
    expect(sam.problems).toEqual([]);
    await sam.context.close();
  });

  it('agents and policy: an admin creates an agent (token once, psql and MCP config), sees its rules, revokes it', async () => {
    const { page } = rita;
    await openAs(page, `${server.base}/agents`, 'rita', PASSWORD);
    await page.getByLabel('Agent name').fill('report-bot');
    await page.getByRole('button', { name: 'Create agent' }).click();
    const token = await page.getByLabel('Token').inputValue();
    expect(token).toMatch(/^al_[\w-]{43}$/);
    const psqlLine = (await page.locator('.created pre').first().textContent()) ?? '';
    const url = /^psql "(postgresql:\/\/report-bot:[^"]+)"$/.exec(psqlLine)![1];
    expect(url).toBe(`postgresql://report-bot:${token}@127.0.0.1:${server.running.wire.port}/${server.running.gateway.defaultDatabase}`);
    expect(JSON.parse((await page.locator('.created pre').nth(1).textContent())!)).toEqual({
      mcpServers: { airlock: { url: `${server.base}/mcp`, headers: { Authorization: `Bearer ${token}` } } },
    });
    // the connection string works: the new agent reads through the proxy
    const read = spawn('psql', ['-X', '-At', url.replace(/\/[^/]+$/, `/${server.database}`), '-c', 'SELECT count(*) FROM customers']);
    let out = '';
    read.stdout.on('data', (b) => (out += b));
    await new Promise((r) => read.once('exit', r));
    expect(out.trim()).toBe('5');
    await screenshot(page, 'agents-created');
    await page.getByRole('button', { name: 'I stored the token' }).click();
    expect(await page.getByLabel('Token').count()).toBe(0);

    await page.getByLabel('For agent').selectOption('report-bot');
    await expect
      .poll(() => page.locator('.rules').textContent())
      .toMatch(/reports-read-only.*block.*kinds write.*agents report-bot.*audit-log-asks.*ask.*tables audit_log.*all agents/s);
    await page.getByLabel('For agent').selectOption('');
    await expect.poll(async () => (await page.locator('.rules li').allTextContents()).length).toBe(1);
    expect(await page.locator('section', { hasText: 'Integrations and secrets' }).textContent()).toMatch(
      /github · https:\/\/api.github.com.*stripe · https:\/\/api.stripe.com.*No secrets stored/s,
    );

    await page.getByRole('button', { name: 'Revoke report-bot' }).click();
    await page.getByRole('button', { name: 'Confirm revoking report-bot' }).click();
    await expect.poll(() => page.locator('tr', { hasText: 'report-bot' }).textContent()).toMatch(/revoked/);
    expect(await server.running.gateway.authenticateToken(token, 'mcp')).toBeNull();
    expect(rita.problems).toEqual([]);
  });
});
