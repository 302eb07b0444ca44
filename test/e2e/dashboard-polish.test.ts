/**
 * The dashboard's polish in Chromium, on a desktop and on a 390x844 phone: every admin
 * table readable on a phone (a card per row, or a sideways scroll that shows itself, with
 * every column reachable), the admin tab bar showing that it scrolls, and the audit log in
 * words. Any console error fails the test. Pictures of what is checked land in
 * $TMPDIR/credits-polish-screenshots for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, ensureBuild, launchChromium, runBrowserTests } from '../support/browser.js';
import { type TestServer, startTestServer } from '../support/server.js';

const PHONE = { width: 390, height: 844 };
const SHOTS = join(tmpdir(), 'credits-polish-screenshots');
const ADMIN_TABLE_PAGES = [
  '/admin/users',
  '/admin/packages',
  '/admin/pricing',
  '/admin/payments',
  '/admin/audit',
  '/admin/webhooks',
  '/admin/api-keys',
];

describe.runIf(runBrowserTests)('dashboard polish (desktop and phone)', () => {
  let server: TestServer;
  let browser: Browser;
  let user: Awaited<ReturnType<TestServer['register']>>;
  let admin: Awaited<ReturnType<TestServer['userWithRole']>>;
  const errors: string[] = [];

  beforeAll(async () => {
    ensureBuild();
    mkdirSync(SHOTS, { recursive: true });
    // Production's password policy: a sign-up below is refused as too easy to guess.
    server = await startTestServer('sqlite', { PASSWORD_MIN_SCORE: '3' });
    browser = await launchChromium();
    user = await server.register({ name: 'Dana Reader' });
    admin = await server.userWithRole('super_admin');
    // A purchase refunded in part, an adjustment, a message, an API key and a webhook endpoint: every admin table has rows.
    const bought = await user.api.request('POST', '/api/credits/purchase', {
      body: { packageId: 'pkg_professional' },
      headers: { 'idempotency-key': 'polish-buy' },
    });
    expect(bought.status).toBe(201);
    const refund = await admin.api.request('POST', `/api/admin/payments/${bought.body.payment.id}/refund`, {
      body: { amountCents: 1500 },
      headers: { 'idempotency-key': 'polish-refund' },
    });
    expect(refund.status).toBe(200);
    const adjusted = await admin.api.request('POST', `/api/admin/users/${user.user.id}/adjustments`, {
      body: { amount: 1234.5, reason: 'Goodwill' },
      headers: { 'idempotency-key': 'polish-adjust' },
    });
    expect(adjusted.status).toBe(201);
    const sent = await user.api.request('POST', '/api/messages', {
      body: { to: '+15551234567', body: 'Hello' },
      headers: { 'idempotency-key': 'polish-message' },
    });
    expect(sent.status).toBe(201);
    const ran = await user.api.request('POST', '/api/workflows/screening/execute', {
      body: {},
      headers: { 'idempotency-key': 'polish-workflow' },
    });
    expect(ran.status).toBe(201);
    expect((await admin.api.request('POST', '/api/admin/api-keys', { body: { name: 'Screening backend' } })).status).toBe(201);
    expect(
      (
        await admin.api.request('POST', '/api/admin/webhook-endpoints', {
          body: { url: 'https://hooks.example.com/credits/a-rather-long-path-for-a-phone', events: ['credits.purchased'] },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    expect(errors).toEqual([]);
  });

  /** A signed-in page; console errors fail the test, but those matching `allow` (the failures a test causes on purpose). */
  async function open(
    token: string,
    viewport: { width: number; height: number },
    label: string,
    allow?: RegExp,
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport,
      locale: 'en-US',
      timezoneId: 'UTC',
      isMobile: viewport === PHONE,
      hasTouch: viewport === PHONE,
    });
    await context.addInitScript((t) => localStorage.setItem('credits.token', t), token);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (m.type() === 'error' && !allow?.test(m.text())) errors.push(`[${label}] console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`[${label}] page error: ${e.message}`));
    return { context, page };
  }

  const headerBalance = (page: Page, value: string) =>
    page.locator('[aria-label="Credit balance"]', { hasText: new RegExp(`^${value.replace('.', '\\.')}$`) }).waitFor();

  const settled = (page: Page) =>
    page.waitForFunction(() => !/Loading|Checking your access/.test(document.body.innerText), undefined, { timeout: 30_000 });

  it('shows every admin table on a phone with every column reachable, and a tab bar that shows it scrolls', async () => {
    const { context, page } = await open(admin.token, PHONE, 'phone admin');
    for (const path of ADMIN_TABLE_PAGES) {
      await page.goto(server.url + path);
      await page.locator('table').first().waitFor();
      await settled(page);
      await page.screenshot({ path: join(SHOTS, `phone${path.replaceAll('/', '-')}.png`), fullPage: true });
      // The page itself never scrolls sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(PHONE.width);
      // Each table is either a card per row with every cell inside the screen, or a sideways
      // scroll that says so (a hint, a focusable region) in which every column can be reached.
      const tables = await page.locator('.table-wrap').evaluateAll(
        (wraps, width) =>
          wraps.map((w) => {
            const table = w.querySelector('table') as HTMLTableElement;
            const stacked = table.classList.contains('table-stack');
            const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
            const cells = [...table.querySelectorAll('tbody td')].filter((td) => td.textContent?.trim());
            const outside = cells.filter((td) => {
              const r = td.getBoundingClientRect();
              return r.width > 0 && (r.left < -1 || r.right > width + 1);
            });
            const hidden = cells.filter((td) => td.getBoundingClientRect().width === 0).length;
            return {
              stacked,
              headers,
              outside: outside.map((td) => td.textContent),
              hidden,
              scrolls: w.scrollWidth > w.clientWidth,
              hint: w.classList.contains('table-scrolls') && w.getAttribute('tabindex') === '0',
              labels: stacked ? [...table.querySelectorAll('tbody tr:first-child td')].map((td) => td.getAttribute('data-label')) : [],
            };
          }),
        PHONE.width,
      );
      expect(tables.length, path).toBeGreaterThan(0);
      for (const t of tables) {
        if (t.stacked) {
          expect({ path, outside: t.outside, hidden: t.hidden }).toEqual({ path, outside: [], hidden: 0 });
          // Each cell of a card says which column it is (but the buttons').
          expect(t.labels.filter(Boolean).length, path).toBeGreaterThanOrEqual(t.headers.length - 1);
        } else if (t.scrolls) {
          expect(t.hint, `${path}: a table that scrolls sideways says so`).toBe(true);
        }
      }
    }
    // The payments on a phone: the amount, what was refunded and the status are all there.
    await page.goto(`${server.url}/admin/payments`);
    const card = page.locator('tbody tr').filter({ hasText: user.user.email }).first();
    await card.waitFor();
    for (const text of ['$45.00', '$15.00', 'Partially refunded', '550']) {
      const cell = card.getByText(text, { exact: true }).first();
      expect(await cell.isVisible(), text).toBe(true);
      const box = await cell.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= PHONE.width, text).toBe(true);
    }

    // The admin tab bar scrolls on a phone and shows it: shadows over the hidden tabs and the current tab kept in view.
    const nav = page.getByRole('navigation', { name: 'Administration' });
    const bar = await nav.evaluate((el) => ({
      scrolls: el.scrollWidth > el.clientWidth,
      cue: getComputedStyle(el).backgroundImage,
    }));
    expect(bar.scrolls).toBe(true);
    expect(bar.cue).toContain('gradient');
    await page.goto(`${server.url}/admin/api-keys`);
    const last = nav.getByRole('link', { name: 'API keys' });
    await last.waitFor();
    await page.waitForFunction(() => {
      // The current tab (API keys: no longer the last since Promo codes, Liability and Organisations joined).
      const a = document.querySelector('nav[aria-label="Administration"] a[aria-current="page"]') as HTMLElement;
      const r = a.getBoundingClientRect();
      return r.left >= 0 && r.right <= window.innerWidth + 1;
    });
    await page.screenshot({ path: join(SHOTS, 'phone-admin-tabs-scrolled.png') });
    await context.close();
  });

  it('reads the audit log in words, with credits and money formatted and people by email', async () => {
    for (const [label, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      const { context, page } = await open(admin.token, viewport, `${label} audit`);
      await page.goto(`${server.url}/admin/audit`);
      const rows = page.getByRole('row');
      const refund = rows.filter({ hasText: `${admin.user.email} refunded $15.00 to ${user.user.email}` });
      await refund.first().waitFor();
      expect(await refund.first().isVisible()).toBe(true);
      const adjust = rows.filter({ hasText: `${admin.user.email} added 1,234.5 credits to ${user.user.email}` });
      expect(await adjust.first().isVisible()).toBe(true);
      await expect.poll(() => adjust.first().getByText('Reason: Goodwill').isVisible()).toBe(true);
      // The people are links to their pages; no raw ids or millicredits are shown.
      await adjust.first().getByRole('link', { name: user.user.email }).click();
      await page.waitForURL(`${server.url}/admin/users/${user.user.id}`);
      await page.goBack();
      await refund.first().waitFor();
      const text = await page.locator('main').innerText();
      expect(text).not.toContain('amountMc');
      expect(text).not.toContain(user.user.id);
      await page.screenshot({ path: join(SHOTS, `${label}-admin-audit.png`), fullPage: true });
      await context.close();
    }
  });
  it('signs out a page whose balance stream ended with its token (signed out elsewhere)', async () => {
    const reader = await server.register({ name: 'Stream Reader' });
    const { context, page } = await open(reader.token, DESKTOP, 'stream sign-out');
    await page.goto(`${server.url}/credits`);
    await headerBalance(page, '0');
    await page.waitForTimeout(1100); // past the second within which a change goes out on the stream's last check
    expect((await reader.api.request('POST', '/api/auth/logout', { body: {} })).status).toBe(200);
    // The next change is not sent: the stream says `closed` (unauthorized), and the page signs out
    // (until 6 December it kept a dead stream and the figures, as if still signed in).
    await server.grant(reader.user.id, 5);
    await page.waitForURL(/\/signin$/, { timeout: 15_000 });
    expect(await page.evaluate(() => localStorage.getItem('credits.token'))).toBeNull();
    await context.close();
  });

  it("shows an admin a user's page: their usage report, settings, alerts and calls", async () => {
    // A user of their own (Dana's usage is what the chart test counts): a message and a call.
    const caller = await server.register({ name: 'Cal Caller' });
    await server.grant(caller.user.id, 20);
    const sent = await caller.api.request('POST', '/api/messages', {
      body: { to: '+15551234567', body: 'Hello' },
      headers: { 'idempotency-key': 'polish-caller-message' },
    });
    expect(sent.status).toBe(201);
    const call = await caller.api.request('POST', '/api/vapi/calls', {
      body: { phoneNumber: '+15557654321', maxDurationSeconds: 120 },
      headers: { 'idempotency-key': 'polish-caller-call' },
    });
    expect(call.status).toBe(201);
    // The usage report as the API gives it: the message (0.1) and the call's start (1).
    const report = await admin.api.request('GET', `/api/admin/users/${caller.user.id}/usage`);
    expect(report.body.totalCredits).toBe(1.1);
    const { context, page } = await open(admin.token, DESKTOP, 'admin user page');
    await page.goto(`${server.url}/admin/users/${caller.user.id}`);
    const region = (name: string) => page.getByRole('region', { name, exact: true });
    const used = region('Usage')
      .locator('.stat', { has: page.locator('dt', { hasText: /^Credits used$/ }) })
      .locator('dd');
    await used.getByText(String(report.body.totalCredits), { exact: true }).waitFor();
    await region('Usage').getByTestId('user-usage-chart').waitFor();
    await region('Settings').getByText('Low-balance alert below').waitFor();
    await region('Alerts').getByRole('table').or(region('Alerts').getByText('No alerts.')).waitFor();
    await region('Calls').getByRole('row').filter({ hasText: '+15557654321' }).waitFor();
    await context.close();
  });

  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`welcomes a new account, then reads one balance (available) everywhere, the held credits beside it and each hold listed (${label})`, async () => {
      const fresh = await server.register({ name: `Fresh Reader ${label}` });
      const { context, page } = await open(fresh.token, viewport, `${label} balance`);
      await page.goto(`${server.url}/credits`);
      await headerBalance(page, '0');
      // Welcomed with one way to buy, not warned: no low-balance notice, no amber header.
      await page.getByText('Welcome.', { exact: false }).waitFor();
      expect(await page.getByText('below your threshold', { exact: false }).count()).toBe(0);
      expect(await page.locator('.balance-low').count()).toBe(0);
      await server.grant(fresh.user.id, 50);
      await headerBalance(page, '50');
      // A call: 1 credit charged at its start, 5 held for its minutes. The platform's message, the
      // header and the balance card all say 44 available, with the 5 held beside it.
      await page.goto(`${server.url}/platform`);
      await page.getByRole('button', { name: 'Start call' }).click();
      const callCard = page.locator('section', { has: page.getByRole('heading', { name: 'Voice call' }) });
      await callCard.getByText(/5 credits held for the minutes, so 44 available now/).waitFor();
      await headerBalance(page, '44');
      await page.goto(`${server.url}/credits`);
      const stat = (name: string) =>
        page.locator('.balance-card .stat', { has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd');
      await expect.poll(() => stat('Available').textContent()).toMatch(/^44(?!\d)/);
      expect(await stat('Reserved').textContent()).toMatch(/^5(?!\d)/);
      expect(await stat('Balance').textContent()).toMatch(/^49(?!\d)/);
      await headerBalance(page, '44');
      // The hold behind the reserved credits, with its action.
      await page.getByRole('link', { name: 'see what holds them' }).click();
      const held = page.locator('#held-credits');
      await held.getByText('Call minutes, while the call lasts').waitFor();
      expect(await held.getByRole('link', { name: 'End the call' }).isVisible()).toBe(true);
      await page.screenshot({ path: join(SHOTS, `${label}-balance-and-holds.png`), fullPage: true });
      await context.close();
    });
  }
  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`says what happened to the money when a purchase fails, and marks the figures not live (${label})`, async () => {
      const buyer = await server.register({ name: `Failing Buyer ${label}` });
      const { context, page } = await open(buyer.token, viewport, `${label} failures`, /Failed to load resource|ERR_/);
      await page.goto(`${server.url}/credits`);
      await headerBalance(page, '0');
      await page.getByRole('button', { name: 'Buy credits' }).click();
      const dialog = page.getByRole('dialog', { name: 'Buy credits' });
      const professional = dialog.getByRole('article', { name: 'Professional' });
      await professional.waitFor();

      // 1. Offline: the purchase never left the device, so nothing was charged; the figures say they are not live.
      await context.setOffline(true);
      await professional.getByRole('button', { name: 'Buy' }).click();
      const failed = dialog.getByRole('alert');
      await failed.getByText('You were not charged.').waitFor();
      expect(await failed.innerText()).toContain('offline');
      await page.keyboard.press('Escape');
      await page.locator('.balance-stale-tag', { hasText: 'not live' }).waitFor();
      const card = page.locator('section', { has: page.getByRole('heading', { name: 'Balance', exact: true }) });
      await card.getByText('Not live.').waitFor();
      await page.screenshot({ path: join(SHOTS, `${label}-purchase-offline-stale.png`) });
      expect(await card.getByRole('button', { name: 'Retry' }).isVisible()).toBe(true);
      // Back online, the figures are live again.
      await context.setOffline(false);
      await card.getByText('Not live.').waitFor({ state: 'detached' });
      await page.locator('.balance-stale-tag').waitFor({ state: 'detached' });

      // 2. The purchase reached the server but its answer was lost: we cannot tell, and say so;
      //    "Try again" sends the same purchase (the same Idempotency-Key): it is not made twice.
      await page.route('**/api/credits/purchase', async (route) => {
        await route.fetch();
        await route.abort('connectionreset');
      });
      await page.getByRole('button', { name: 'Buy credits' }).click();
      await professional.getByRole('button', { name: 'Buy' }).click();
      await failed.getByText('We cannot tell whether Professional was bought.').waitFor();
      const unknown = await failed.innerText();
      expect(unknown).not.toContain('not charged');
      expect(unknown).toContain('Check your balance');
      await page.screenshot({ path: join(SHOTS, `${label}-purchase-unknown.png`) });
      await page.unroute('**/api/credits/purchase');
      await failed.getByRole('button', { name: 'Try again' }).click();
      await dialog.getByText('Purchase succeeded.').waitFor();
      await headerBalance(page, '550');
      const payments = await buyer.api.request('GET', '/api/credits/payments');
      expect(payments.body.items).toHaveLength(1);
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();

      // 3. The server refused before charging (503 payments_unavailable): not charged.
      await page.route('**/api/credits/purchase', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'payments_unavailable', message: 'Payments are not available right now.' } }),
        }),
      );
      await page.getByRole('button', { name: 'Buy credits' }).click();
      await professional.getByRole('button', { name: 'Buy' }).click();
      await failed.getByText('You were not charged.').waitFor();
      expect(await failed.innerText()).toContain('Payments are not available right now.');
      await page.unroute('**/api/credits/purchase');
      await page.keyboard.press('Escape');
      expect((await buyer.api.request('GET', '/api/credits/payments')).body.items).toHaveLength(1);

      // 4. A section that fails to load offers "Retry", which loads it.
      let failing = true;
      await page.route(/\/api\/credits\/transactions(\?|$)/, (route) => (failing ? route.abort('failed') : route.continue()));
      await page.reload();
      const history = page.locator('section', { has: page.getByRole('heading', { name: 'Transaction history' }) });
      const retry = history.getByRole('button', { name: 'Retry' });
      await retry.waitFor();
      expect(await history.getByRole('row').count()).toBe(0);
      failing = false;
      await retry.click();
      await history.getByRole('row').filter({ hasText: 'Purchase' }).first().waitFor();
      expect(await retry.count()).toBe(0);
      await context.close();
    });
  }

  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`charts usage by operation with a legend, the unit, the range and UTC days (${label})`, async () => {
      const { context, page } = await open(user.token, viewport, `${label} chart`);
      await page.goto(`${server.url}/credits`);
      const chart = page.getByTestId('usage-chart');
      await chart.locator('.recharts-bar-rectangle').first().waitFor({ state: 'attached' });
      // One legend entry per operation, in the names used everywhere else, each in its own colour.
      const legend = await chart
        .locator('.recharts-legend-item')
        .evaluateAll((items) =>
          items.map((i) => ({ name: i.textContent?.trim(), colour: i.querySelector('path, rect')?.getAttribute('fill') })),
        );
      expect(legend.map((l) => l.name).sort()).toEqual(['Message', 'Workflow']);
      expect(new Set(legend.map((l) => l.colour)).size).toBe(2);
      const byOperation = page.getByRole('table', { name: 'Usage by operation' });
      const tableText = await byOperation.innerText();
      for (const l of legend) expect(tableText).toContain(`${l.name} per `);
      // The bars of each operation wear its legend colour.
      const fills = await chart
        .locator('.recharts-bar-rectangle path')
        .evaluateAll((ps) => [...new Set(ps.map((p) => p.getAttribute('fill')))]);
      expect(fills.sort()).toEqual(legend.map((l) => l.colour).sort());
      // The y axis says its unit; the range is marked and the days are said to be UTC.
      expect(await chart.locator('.recharts-label').first().textContent()).toBe('Credits');
      expect(await page.getByRole('button', { name: '30 days' }).getAttribute('aria-pressed')).toBe('true');
      expect(await page.getByRole('button', { name: '7 days' }).getAttribute('aria-pressed')).toBe('false');
      const said = await chart.innerText();
      expect(said).toContain('last 30 days');
      expect(said).toContain('days in UTC');
      // The tooltip (a pointer's hover; a phone has none): "Message: 0.1 credits", no stray space before the colon.
      if (viewport !== PHONE) {
        const bar = chart.locator('.recharts-bar-rectangle').last();
        const box = await bar.boundingBox();
        if (!box) throw new Error('no bar');
        await page.mouse.move(box.x + box.width / 2, box.y + Math.max(1, box.height / 2));
        const tip = chart.locator('.recharts-tooltip-wrapper');
        await expect.poll(() => tip.innerText()).toMatch(/(Message|Workflow): [\d.,]+ credits/);
        expect(await tip.innerText()).not.toMatch(/ :/);
      }
      await page.screenshot({ path: join(SHOTS, `${label}-usage-chart.png`) });
      await page.getByRole('button', { name: '7 days' }).click();
      await expect.poll(() => page.getByRole('button', { name: '7 days' }).getAttribute('aria-pressed')).toBe('true');
      await expect.poll(() => chart.innerText()).toContain('last 7 days');
      await context.close();
    });

    it(`shows each sign-up error under its field, checked before sending (${label})`, async () => {
      const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC', isMobile: viewport === PHONE });
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      page.on('console', (m) => {
        // The refusals the test asks for (409, 400) are logged by the browser as failed loads.
        if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`[${label} signup] console: ${m.text()}`);
      });
      let sent = 0;
      page.on('request', (r) => {
        if (r.url().endsWith('/api/auth/register')) sent++;
      });
      const underField = async (name: string, sentence: RegExp | string) => {
        const input = page.getByLabel(name, { exact: true });
        // The page's own patience (30 s): the server's refusals come back slowly on a loaded machine.
        await expect.poll(() => input.getAttribute('aria-invalid'), { timeout: 30_000 }).toBe('true');
        const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
        const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).innerText()));
        expect(texts.join(' | ')).toMatch(sentence);
      };
      await page.goto(`${server.url}/signup`);
      await page.getByLabel('Name', { exact: true }).fill('Sam Signup');
      await page.getByLabel('Email', { exact: true }).fill('sam@example');
      await page.getByLabel('Password', { exact: true }).focus();
      // Leaving a field shows its problem at once, as the server would word it.
      await underField('Email', 'Email must be a valid email address');
      await page.getByLabel('Password', { exact: true }).fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await underField('Password', 'Password must be at least 8 characters');
      await page.getByText('Please correct the fields marked above.').waitFor();
      expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBeNull();
      expect(sent).toBe(0);
      await page.screenshot({ path: join(SHOTS, `${label}-signup-errors.png`) });
      // Fixing a field clears its sentence as one types.
      await page.getByLabel('Email', { exact: true }).fill(user.user.email);
      await expect.poll(() => page.getByLabel('Email', { exact: true }).getAttribute('aria-invalid')).toBeNull();
      // The server's refusals go under their fields too: a taken email, a password too easy to guess.
      await page.getByLabel('Password', { exact: true }).fill('correct-horse-42-battery');
      await page.getByRole('button', { name: 'Create account' }).click();
      await underField('Email', /already exists.*Sign in instead/);
      expect(sent).toBe(1);
      await page.getByLabel('Email', { exact: true }).fill(`sam-${label}-${Date.now()}@example.com`);
      await page.getByLabel('Password', { exact: true }).fill('password');
      await page.getByRole('button', { name: 'Create account' }).click();
      await underField('Password', /Password is too easy to guess/);
      expect(await page.getByRole('alert').filter({ hasText: 'validation' }).count()).toBe(0);
      await context.close();
    });
  }
});
