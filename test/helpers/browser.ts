// Headless Chromium (the Debian package) driven by playwright-core: one browser per test file,
// one context (cookie jar) per reviewer, and screenshots under test-artifacts/ (git-ignored).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

/**
 * Launch Chromium headless. Playwright gives every launch a fresh temporary profile
 * (--user-data-dir) and removes it on close; passing one in `args` is refused by design.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A reviewer's own browser context: own cookies, desktop or phone width; page errors fail loudly. */
export async function reviewerContext(
  browser: Browser,
  opts: { width?: number; height?: number } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const page = await context.newPage();
  // fail within a test's time with the step's own message
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // CSP violations and script errors show up here; an expected 401/403/409 resource error does not count
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog opened: ${d.type()} ${d.message()}`);
    void d.dismiss();
  });
  return { context, page, problems };
}

/** Save a full-page screenshot as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Sign in on the page that is showing the sign-in form (labels Name and Password, button Sign in). */
export async function signIn(page: Page, name: string, password: string): Promise<void> {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Open a console URL as this reviewer, signing in first when the console asks for it. */
export async function openAs(page: Page, url: string, name: string, password: string): Promise<void> {
  await page.goto(url);
  await page.waitForLoadState('networkidle').catch(() => undefined);
  if (new URL(page.url()).pathname === '/sign-in') {
    await signIn(page, name, password);
    await page.waitForURL(url);
  }
}
