/**
 * The finance figures and the user's side in Chromium: the admin analytics page shows the
 * net revenue, refunds, credits sold, revenue by package and top accounts computed by hand
 * below; the public pricing page lists packages and prices and its "Buy" leads through
 * sign-in to the purchase dialog; the history says what each usage row paid for and filters
 * by days; the admin payments page filters by a user picked by email.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, hasChromium, newPage, signIn } from '../support/browser.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the finance pages test: ${CHROMIUM} is missing.`);

describe.skipIf(!hasChromium && !process.env.CI)('finance pages in Chromium', () => {
  const suite = browserSuite({}, 180_000);
  /** A page of its own, signed in as `email`, on `/credits`; `before` runs first (a route to fake). */
  const creditsPageOf = async (label: string, email: string, before?: (page: Page) => Promise<unknown>) => {
    const { s, browser, errors } = suite;
    const { page } = await newPage(browser, label, errors);
    await before?.(page);
    await page.goto(`${s.url}/signin`);
    await signIn(page, email);
    await page.goto(`${s.url}/credits`);
    return page;
  };

  it('shows the admin analytics figures of a hand computation, and filters payments by a user picked by email', async () => {
    const { s, browser, errors } = suite;
    // Today: Ada buys Professional ($45.00, 550 credits), Bo buys Starter ($10.00, 100 credits),
    // $15.00 of Ada's payment is refunded (183.333 credits taken back), Ada sends 2 messages (0.2 credits).
    const admin = await s.userWithRole('admin');
    const ada = await s.register({ email: `ada-${Date.now()}@example.com`, name: 'Ada Analytics' });
    const bo = await s.register({ email: `bo-${Date.now()}@example.com`, name: 'Bo Buyer' });
    const paid = await ada.api.post('/api/credits/purchase', { packageId: 'pkg_professional' });
    expect(paid.status).toBe(201);
    expect((await bo.api.post('/api/credits/purchase', { packageId: 'pkg_starter' })).status).toBe(201);
    expect((await admin.api.post(`/api/admin/payments/${paid.body.payment.id}/refund`, { amountCents: 1500 })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await ada.api.post('/api/messages', { to: 'x', body: `m${i}` })).status).toBe(201);
    // By hand: net revenue 4500 + 1000 - 1500 = $40.00; refunds $15.00; no dispute;
    // credits sold 550 + 100 - 183.333 = 466.667; used 0.2; Professional $30.00, Starter $10.00.

    const { page } = await newPage(browser, 'admin', errors);
    await page.goto(`${s.url}/signin`);
    await signIn(page, admin.user.email);
    await page.goto(`${s.url}/admin/analytics`);
    const figures = page.getByTestId('analytics-figures');
    const stat = (label: string) =>
      figures.locator('.stat', { has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd');
    await stat('Net revenue').getByText('$40.00').waitFor();
    expect(await stat('Refunds').textContent()).toBe('$15.00');
    expect(await stat('Disputes lost').textContent()).toBe('$0.00');
    expect(await stat('Credits sold').textContent()).toMatch(/^466\.667/);
    expect(await stat('Credits used').textContent()).toBe('0.2');
    // The axes say which is money and which is credits.
    const chart = page.getByTestId('admin-chart');
    await chart.getByText('US dollars', { exact: true }).waitFor();
    await chart.getByText('Credits', { exact: true }).waitFor();
    // Charted too: revenue by package and the top accounts.
    await page.getByTestId('package-chart').locator('.recharts-bar-rectangle').first().waitFor({ state: 'attached' });
    await page.getByTestId('accounts-chart').locator('.recharts-bar-rectangle').first().waitFor({ state: 'attached' });
    const packages = page.getByRole('table', { name: 'Revenue by package' });
    expect(await packages.getByRole('row').filter({ hasText: 'Professional' }).textContent()).toContain('$30.00');
    expect(await packages.getByRole('row').filter({ hasText: 'Starter' }).textContent()).toContain('$10.00');
    const top = page.getByRole('table', { name: 'Top accounts by credits used' });
    expect(await top.getByRole('row').filter({ hasText: 'Ada Analytics' }).textContent()).toContain('0.2');

    // Payments of one user, picked by email.
    await page.goto(`${s.url}/admin/payments`);
    const rows = page.getByRole('table', { name: 'Payments' }).getByRole('row');
    await rows.filter({ hasText: bo.user.email }).waitFor();
    await page.getByLabel('User', { exact: true }).fill(ada.user.email);
    await page.getByText('Only this user’s payments').waitFor();
    await expect.poll(() => rows.filter({ hasText: bo.user.email }).count()).toBe(0);
    await rows.filter({ hasText: ada.user.email }).first().waitFor();

    // The refund dialog: $30.00 of Ada's $45.00 remains; more is refused in a sentence, then $5.00 is refunded.
    const adaRow = rows.filter({ hasText: ada.user.email }).first();
    await adaRow.getByText('$15.00', { exact: true }).waitFor();
    await adaRow.getByRole('button', { name: 'Refund' }).click();
    const dialog = page.getByRole('dialog', { name: 'Refund payment' });
    const amount = dialog.getByLabel('Amount to refund (USD)');
    expect(await amount.inputValue()).toBe('30.00');
    await amount.fill('40');
    await dialog.getByRole('button', { name: 'Confirm refund' }).click();
    await dialog.getByText('Enter an amount from $0.01 to $30.00: at most $30.00 remains to refund.').waitFor();
    await amount.fill('5.005');
    await dialog.getByText('Enter the amount in USD with at most 2 decimals, such as 12.50.').waitFor();
    await amount.fill('5');
    await dialog.getByRole('button', { name: 'Confirm refund' }).click();
    await dialog.getByText('Refund recorded; the payment is now partially refunded.').waitFor();
    const refunded = (await admin.api.get('/api/admin/payments')).body.items.find((p) => p.id === paid.body.payment.id);
    expect(refunded?.refundedCents).toBe(2000);
    // Ada's own list says how much of it came back.
    const mine = (await ada.api.get('/api/credits/payments')).body.items.find((p) => p.id === paid.body.payment.id);
    expect(mine).toMatchObject({ status: 'partially_refunded', amountCents: 4500, refundedCents: 2000 });
    const adaPage = await creditsPageOf('ada', ada.user.email);
    const payments = adaPage.getByRole('table', { name: 'Your payments' });
    const row = payments.getByRole('row').filter({ hasText: 'Professional' });
    await row.getByText('$20.00 refunded').waitFor();
    expect(await row.textContent()).toContain('$45.00');
    expect(errors).toEqual([]);
  }, 120_000);

  it('shows public pricing, and its Buy leads through sign-in to the purchase dialog', async () => {
    const { s, browser, errors } = suite;
    const u = await s.register();
    const { page } = await newPage(browser, 'pricing', errors);
    await page.goto(`${s.url}/signin`);
    await page.getByRole('link', { name: 'See pricing' }).click();
    await page.getByRole('heading', { name: 'Pricing', level: 1 }).waitFor();
    const pro = page.getByRole('article', { name: 'Professional' });
    await pro.getByText('$45.00').waitFor();
    expect(await pro.textContent()).toContain('500 credits + 50 bonus');
    // Prices in the units a person reads.
    const prices = page.getByRole('table', { name: 'Price of each operation in credits' });
    await prices
      .getByText(/credits per minute$/)
      .first()
      .waitFor();
    await prices
      .getByText(/credits per MB$/)
      .first()
      .waitFor();
    await pro.getByRole('link', { name: 'Buy' }).click();
    await page.waitForURL((url) => url.pathname === '/signin');
    await signIn(page, u.user.email);
    const dialog = page.getByRole('dialog', { name: 'Buy credits' });
    await dialog.waitFor();
    expect(new URL(page.url()).pathname).toBe('/credits');
    // The package chosen on the pricing page is marked, and its Buy has the focus (nothing bought yet).
    const chosen = dialog.getByRole('article', { name: 'Professional' });
    await chosen.getByText('Your choice').waitFor();
    await expect.poll(() => chosen.getByRole('button', { name: 'Buy' }).evaluate((b) => b === document.activeElement)).toBe(true);
    expect(await dialog.getByText('Your choice').count()).toBe(1);
    expect((await u.api.get('/api/credits/payments')).body.items).toEqual([]);
    // Signed in, the header links to the pricing page too.
    await page.getByRole('dialog', { name: 'Buy credits' }).getByRole('button', { name: 'Dismiss' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pricing' }).click();
    await page.getByRole('article', { name: 'Starter' }).waitFor();
    expect(errors).toEqual([]);
  }, 120_000);

  it('says in the history what each usage row paid for, and filters it by days', async () => {
    const { s, errors } = suite;
    const u = await s.register();
    await s.grant(u.user.id, 20);
    expect((await u.api.post('/api/workflows/onboarding/execute', {})).status).toBe(201);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(1_572_864)]), 'resume.pdf');
    expect((await u.api.request('POST', '/api/files', { raw: form })).status).toBe(201);
    const page = await creditsPageOf('history', u.user.email);
    const history = page.getByRole('region', { name: 'Transaction history' });
    const table = history.getByRole('table', { name: 'Transactions, newest first' });
    await table.getByText('workflow onboarding').waitFor();
    await table.getByText('resume.pdf, 1.5 MB').click();
    await table.getByText('resume.pdf', { exact: true }).waitFor();
    expect(await table.getByText('1572864', { exact: true }).count()).toBe(2);
    // Days: from tomorrow nothing; from today the rows again.
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await history.getByLabel('From').fill(tomorrow);
    await history.getByText('No transactions in these days.').waitFor();
    await history.getByLabel('From').fill(today);
    await history.getByLabel('To').fill(today);
    await table.getByText('workflow onboarding').waitFor();
    // A start after the end: said, and no rows under it (not every transaction, unfiltered); the CSV waits too.
    await history.getByLabel('From').fill(tomorrow);
    await history.getByText('The start date must not be after the end date.').waitFor();
    expect(await history.getByRole('table').count()).toBe(0);
    expect(await history.getByRole('button', { name: 'Download CSV' }).isDisabled()).toBe(true);
    // The usage report's figures go too, rather than the last range's staying under the message.
    const usage = page.getByRole('region', { name: 'Usage analytics' });
    await usage.getByText('Credits used').first().waitFor();
    await usage.getByLabel('From').fill(tomorrow);
    await usage.getByLabel('To').fill(today);
    await usage.getByText('The start date must not be after the end date.').waitFor();
    expect(await usage.getByText('Credits used', { exact: true }).count()).toBe(0);
    expect(errors).toEqual([]);
  }, 120_000);

  it('keeps the settings when a threshold is left blank, and saves one typed', async () => {
    const { s, errors } = suite;
    const u = await s.register();
    const page = await creditsPageOf('settings', u.user.email);
    const settings = page.getByRole('region', { name: 'Settings' });
    const low = settings.getByLabel('Low balance threshold (credits)');
    // The field takes the stored value once the settings arrive (the form may render a frame before).
    const stored = String((await u.api.get('/api/credits/settings')).body.lowBalanceThreshold);
    await expect.poll(() => low.inputValue()).toBe(stored);
    await low.fill('');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('Enter a threshold in credits (0 for no low-balance alert).').waitFor();
    const before = (await u.api.get('/api/credits/settings')).body.lowBalanceThreshold;
    expect(before).toBeGreaterThan(0);
    await low.fill('7.5');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('Settings saved.').waitFor();
    expect((await u.api.get('/api/credits/settings')).body.lowBalanceThreshold).toBe(7.5);
    expect(errors).toEqual([]);
  }, 60_000);

  it('moves the focus on to the next "Mark read" once an alert is marked read, then to the list', async () => {
    const { s, errors } = suite;
    const u = await s.register();
    for (let i = 0; i < 2; i++) expect((await u.api.post('/api/credits/purchase', { packageId: 'pkg_starter' })).status).toBe(201);
    const page = await creditsPageOf('alerts', u.user.email);
    const list = page.getByRole('list', { name: 'Alerts' });
    const buttons = list.getByRole('button', { name: 'Mark read' });
    await expect.poll(() => buttons.count()).toBe(2);
    await buttons.first().focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => buttons.count()).toBe(1);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Mark read');
    await page.keyboard.press('Enter');
    await expect.poll(() => buttons.count()).toBe(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Alerts');
    expect(errors).toEqual([]);
  }, 60_000);

  it('says a failed refresh of the balance once, as "Not live" with one Retry, over the figures it has', async () => {
    const { s, errors } = suite;
    const u = await s.register();
    await s.grant(u.user.id, 12);
    // No live stream: the figures go "Not live" after a few seconds, with Retry.
    const page = await creditsPageOf('balance-failed', u.user.email, (p) => p.route('**/api/credits/stream**', (route) => route.abort()));
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Balance', exact: true }) });
    await card.getByText('Not live.').waitFor();
    // Retry reads the balance again, and that read fails (500): said once, over the figures kept.
    await page.route('**/api/credits/balance', (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal","message":"boom"}}' }),
    );
    await card.getByRole('button', { name: 'Retry' }).click();
    await card.getByText(/the balance could not be refreshed/).waitFor();
    expect(await card.getByRole('button', { name: 'Retry' }).count()).toBe(1);
    expect(await card.getByRole('alert').count()).toBe(0);
    expect(await card.locator('.stat').first().textContent()).toContain('12');
    // The refused reads and the aborted streams are the browser's console lines, expected here.
    for (let i = errors.length - 1; i >= 0; i--) if (/status of 500|ERR_FAILED|stream/.test(errors[i] as string)) errors.splice(i, 1);
    expect(errors).toEqual([]);
  }, 90_000);
});
