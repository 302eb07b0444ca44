/**
 * The first hour in a real browser: `credits serve` on a new data directory prints a
 * one-time setup link; opening it creates the first super admin and lands in the admin
 * pages, signed in. A bad field is named, in a sentence, under the field itself (setup,
 * sign-up and sign-in forms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ensureBuild, hasChromium, launchChromium, runBrowserTests, screenshotPath } from '../support/browser.js';
import { type Serving, serve } from '../support/cli.js';

if (!runBrowserTests) console.warn(`[e2e] skipping the first-hour browser test: ${CHROMIUM} is missing.`);

// The 4xx answers this test provokes on purpose show in the console as failed loads.
const EXPECTED_CONSOLE = /Failed to load resource: the server responded with a status of (400|409)/;

describe.skipIf(!runBrowserTests)('the first hour in Chromium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'credits-first-hour-'));
  let server: Serving;
  let browser: Browser;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing; the browser test cannot run in CI without it.`);
    ensureBuild();
    server = await serve({ PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (m.type() === 'error' && !EXPECTED_CONSOLE.test(m.text())) consoleErrors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    return page;
  }

  /** The sentence shown under a field: its accessible description, and aria-invalid set. */
  async function fieldError(page: Page, label: string, sentence: string) {
    const input = page.getByLabel(label, { exact: true });
    await page.getByText(sentence, { exact: true }).waitFor();
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    const describedBy = ((await input.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
    const descriptions = await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).textContent()));
    expect(descriptions).toContain(sentence);
  }

  it('goes from the printed setup link to an admin session', async () => {
    const link = await server.setupLink();
    expect(link.startsWith(`${server.url}/setup?token=`)).toBe(true);
    expect(server.output()).toContain('SUPER_ADMIN_EMAIL and SUPER_ADMIN_PASSWORD');

    const page = await newPage();
    await page.goto(link);
    await page.getByRole('heading', { name: 'Create the super admin' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
    await page.getByLabel('Email', { exact: true }).fill('grace@example');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create super admin' }).click();
    await fieldError(page, 'Email', 'Email must be a valid email address');
    await fieldError(page, 'Password', 'Password must be at least 8 characters');
    expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBeNull();
    await page.screenshot({ path: screenshotPath('setup-desktop.png'), animations: 'disabled' });

    await page.getByLabel('Email', { exact: true }).fill('grace@example.com');
    await page.getByLabel('Password', { exact: true }).fill('cobol-forever-1959');
    await page.getByRole('button', { name: 'Create super admin' }).click();
    await page.waitForURL(`${server.url}/admin/users`);
    await page.getByRole('link', { name: 'Admin', exact: true }).waitFor();
    await page.getByRole('row').filter({ hasText: 'grace@example.com' }).waitFor();

    // The session survives a reload; the link does not work twice.
    await page.reload();
    await page.getByRole('row').filter({ hasText: 'grace@example.com' }).waitFor();
    const again = await newPage();
    await again.goto(link);
    await again.getByRole('heading', { name: 'Already set up' }).waitFor();
    await again.getByRole('link', { name: 'Sign in' }).click();
    await again.getByLabel('Email', { exact: true }).fill('grace@example.com');
    await again.getByLabel('Password', { exact: true }).fill('cobol-forever-1959');
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.getByRole('link', { name: 'Admin', exact: true }).waitFor();
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('names each bad field under it on sign-up and sign-in', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/signup`);
    await page.getByLabel('Name', { exact: true }).fill('Bad\u202Ename');
    await page.getByLabel('Email', { exact: true }).fill('dana@@example.com');
    await page.getByLabel('Password', { exact: true }).fill('1234567');
    await page.getByRole('button', { name: 'Create account' }).click();
    await fieldError(page, 'Name', 'Name must not contain bidirectional override characters (U+202A to U+202E, U+2066 to U+2069)');
    await fieldError(page, 'Email', 'Email must be a valid email address');
    await fieldError(page, 'Password', 'Password must be at least 8 characters');
    await page.getByText('Please correct the fields marked above.').waitFor();

    await page.goto(`${server.url}/signin`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await fieldError(page, 'Email', 'Email is required');
    await fieldError(page, 'Password', 'Password is required');
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
