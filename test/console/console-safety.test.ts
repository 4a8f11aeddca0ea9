// The console under hostile data and bad requests, in headless Chromium: markup in SQL text, row
// values, column names and agent names stays text; an expired session, a missing CSRF token, an
// already decided approval and unknown ids get clear messages and change nothing.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, openAs, reviewerContext, screenshot, signIn } from '../helpers/browser.js';
import { PASSWORD, startConsoleServer, type ConsoleServer } from '../helpers/console-server.js';
import type { ApprovalRecord } from '../../src/domain/approval.js';

const SCRIPT = '<script>window.__pwned = 1</script>';
const IMG = '"><img src=x onerror="window.__pwned = 2">';

let server: ConsoleServer;
let browser: Browser;
let rita: { context: BrowserContext; page: Page; problems: string[] };

beforeAll(async () => {
  server = await startConsoleServer({ accounts: [{ name: 'rita', admin: true }, { name: 'sam' }] });
  browser = await launchBrowser();
  rita = await reviewerContext(browser);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const gw = () => server.running.gateway;

/** A held write through the gateway, as an agent's request would make it. */
async function hold(sql: string): Promise<string> {
  const agents = await gw().listAgents();
  const agent = agents.find((a) => a.name === server.agent.name)!;
  const out = await gw().query({ agent: { id: agent.id, name: agent.name }, door: 'mcp', database: server.database, sql });
  if (out.status !== 'pending') throw new Error(`expected pending, got ${out.status}`);
  return out.approvalId;
}

/** Nothing the data carried became markup: no injected element, no script ran, no dialog. */
async function expectInert(page: Page) {
  expect(await page.locator('main img').count()).toBe(0);
  expect(await page.locator('main script, main iframe, main [onerror]').count()).toBe(0);
  expect(await page.evaluate('window.__pwned')).toBeUndefined();
}

const csrfFetch = (
  page: Page,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: { error: { code: string; message: string } } }> =>
  page.evaluate(
    async ([p, h]) => {
      const r = await fetch(p as string, { method: 'POST', headers: h as Record<string, string>, body: '{}' });
      return { status: r.status, body: (await r.json()) as { error: { code: string; message: string } } };
    },
    [path, headers] as const,
  );

describe('hostile data is shown as text', () => {
  it('markup in SQL, row values and column names of a real held UPDATE and INSERT', async () => {
    await server.admin.query(`UPDATE customers SET name = $1 WHERE id = 5`, [IMG]);
    const update = await hold(`UPDATE customers SET email = '${SCRIPT.replace(/'/g, "''")}' /* ${IMG} */ WHERE id = 5`);
    const insert = await hold(
      `INSERT INTO customers (id, name, email) VALUES (9, '${SCRIPT}', 'x') RETURNING id AS "${IMG.replace(/"/g, '""')}"`,
    );
    const { page } = rita;
    await openAs(page, `${server.base}/approvals/${update}`, 'rita', PASSWORD);
    await expect.poll(() => page.getByRole('table', { name: 'After' }).locator('td.changed mark').textContent()).toBe(SCRIPT);
    expect(await page.locator('pre.sql').textContent()).toContain(`/* ${IMG} */`);
    expect(await page.getByRole('table', { name: 'Before' }).textContent()).toContain(IMG);
    await expectInert(page);
    await screenshot(page, 'markup-update');

    await page.goto(`${server.base}/approvals/${insert}`);
    // the preview of INSERT ... RETURNING shows the returned rows: a column named with markup
    await expect.poll(() => page.getByRole('table', { name: 'New rows' }).locator('th').allTextContents()).toEqual([IMG]);
    expect(await page.locator('pre.sql').textContent()).toContain(`VALUES (9, '${SCRIPT}', 'x')`);
    await expectInert(page);
    await page.goto(`${server.base}/`);
    await expect.poll(() => page.locator(`li[data-id="${update}"] .item-sql`).textContent()).toContain(IMG);
    await expectInert(page);
    expect(rita.problems).toEqual([]);
  });

  it('markup in an agent name and a database name (a record the console did not create)', async () => {
    const id = randomUUID();
    await gw().store.insertApproval({
      id,
      status: 'pending',
      expiresAt: Date.now() + 600_000,
      agentId: 'x',
      agentName: SCRIPT,
      door: 'wire',
      database: IMG,
      sql: 'UPDATE t SET a = 1',
      binding: randomUUID(),
      preview: { available: true, affectedRows: 1, rows: [{ [IMG]: SCRIPT }], before: [{ [IMG]: 'old' }] },
    } as Partial<ApprovalRecord> as ApprovalRecord);
    const { page } = rita;
    await page.goto(`${server.base}/`);
    await expect.poll(() => page.locator(`li[data-id="${id}"] .agent`).textContent()).toBe(SCRIPT);
    expect(await page.locator(`li[data-id="${id}"] .target`).textContent()).toBe(`database ${IMG}`);
    await expectInert(page);
    await page.goto(`${server.base}/approvals/${id}`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain(SCRIPT);
    expect(await page.getByRole('table', { name: 'After' }).locator('th').allTextContents()).toEqual([IMG]);
    await expectInert(page);
    expect(rita.problems).toEqual([]);
  });

  it('an API-call approval shows its exact request (the page, fed the record the API proxy will store)', async () => {
    const id = await hold("UPDATE invoices SET status = 'void' WHERE id = 101");
    const { page } = rita;
    const { reviewFacts } = await import('../../src/approvals/review-facts.js');
    const request = {
      method: 'POST',
      url: 'https://api.example.com/v1/refunds',
      headers: { 'content-type': 'application/json' },
      body: { note: IMG },
    };
    await page.route(`**/console/api/approvals/${id}`, async (route) => {
      const real = await (await route.fetch()).json();
      const rec = { ...real.approval, door: 'api', database: 'payments', request, preview: null };
      await route.fulfill({
        json: { ...real, approval: { ...rec, facts: reviewFacts(rec, { manyRowsThreshold: 100, productionTargets: [] }) } },
      });
    });
    await page.goto(`${server.base}/approvals/${id}`);
    await expect
      .poll(() => page.locator('pre.request').textContent())
      .toBe(`POST https://api.example.com/v1/refunds\ncontent-type: application/json\n\n${JSON.stringify({ note: IMG }, null, 2)}`);
    expect(await page.locator('.facts').textContent()).toContain('integration payments');
    expect(await page.locator('.badges').textContent()).toContain('API call');
    expect(await page.getByRole('heading', { name: 'Preview' }).count()).toBe(0);
    await expectInert(page);
    await page.unrouteAll();
    await gw().deny(id, 'rita', 'test done');
  });
});

describe('bad requests get clear messages and change nothing', () => {
  it('an expired session sends the reviewer to sign in, and back to the page afterwards', async () => {
    const { page } = rita;
    await openAs(page, `${server.base}/agents`, 'rita', PASSWORD);
    const file = gw().config.store.url.replace(/^sqlite:/, '');
    const db = new Database(file);
    db.prepare('UPDATE reviewer_sessions SET expires_at = 0').run();
    db.close();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL(/\/sign-in\?next=%2Faudit/);
    await expect.poll(() => page.getByRole('status').textContent()).toBe('your session has expired or you were signed out: sign in again');
    await screenshot(page, 'session-expired');
    await signIn(page, 'rita', 'wrong password!');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('wrong name or password');
    await signIn(page, 'rita', PASSWORD);
    await page.waitForURL(`${server.base}/audit`);
  });

  it('a state change without the CSRF token (or with a wrong one) is refused; the approval stays pending', async () => {
    const id = await hold("UPDATE invoices SET status = 'void' WHERE id = 103");
    const { page } = rita;
    await openAs(page, `${server.base}/approvals/${id}`, 'rita', PASSWORD);
    const path = `/console/api/approvals/${id}/approve`;
    const missing = await csrfFetch(page, path, { 'content-type': 'application/json' });
    expect(missing).toEqual({
      status: 403,
      body: { error: { code: '42501', message: 'missing CSRF token: reload the page and try again' } },
    });
    const wrong = await csrfFetch(page, path, { 'content-type': 'application/json', 'x-csrf-token': 'guess' });
    expect(wrong.body.error.message).toBe('wrong CSRF token: reload the page and try again');
    expect((await gw().getApproval(id)).status).toBe('pending');
    await gw().deny(id, 'rita', 'test done');
  });

  it('approving an approval someone else decided meanwhile says so; the decision stands', async () => {
    const id = await hold("UPDATE invoices SET status = 'void' WHERE id = 104");
    const { page } = rita;
    // no live updates on this page: it still shows "pending" when the other decision lands
    await page.route('**/console/api/events', (route) => route.abort());
    await openAs(page, `${server.base}/approvals/${id}`, 'rita', PASSWORD);
    await expect.poll(() => page.getByRole('button', { name: 'Approve' }).isEnabled()).toBe(true);
    await gw().deny(id, 'sam', 'not today');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(() => page.locator('main [role=alert]').first().textContent())
      .toBe(`approval ${id} is denied, not pending: it cannot be approved`);
    const rec = await gw().getApproval(id);
    expect([rec.status, rec.deniedBy, rec.approvals]).toEqual(['denied', 'sam', []]);
    await page.unrouteAll();
  });

  it('unknown and malformed ids: a clear page, 404/400 from the API', async () => {
    const { page } = rita;
    const unknown = randomUUID();
    await openAs(page, `${server.base}/approvals/${unknown}`, 'rita', PASSWORD);
    await expect.poll(() => page.getByRole('alert').textContent()).toBe(`approval ${unknown} does not exist`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Approval not available');
    await page.goto(`${server.base}/approvals/not-an-id`);
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('malformed approval id "not-an-id": expected a UUID');
    const csrf = await page.evaluate(
      async () => ((await (await fetch('/console/api/session')).json()) as { session: { csrf: string } }).session.csrf,
    );
    const r = await csrfFetch(page, `/console/api/approvals/${unknown}/approve`, {
      'content-type': 'application/json',
      'x-csrf-token': csrf,
    });
    expect(r).toEqual({ status: 404, body: { error: { code: '42704', message: `approval ${unknown} does not exist` } } });
    expect((await page.goto(`${server.base}/nowhere`))!.status()).toBe(404);
    expect(rita.problems).toEqual([]);
  });

  it('no other page can frame the console (its Approve buttons would be live there)', async () => {
    const page = await rita.context.newPage();
    const framed = `${server.base}/`;
    await page.setContent(`<iframe id="f" src="${framed}" width="800" height="600"></iframe>`);
    await page.waitForTimeout(1500);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const loaded = frame ? await frame.evaluate("document.querySelector('#app') !== null").catch(() => false) : false;
    expect(loaded).toBe(false);
    await page.close();
  });
});
