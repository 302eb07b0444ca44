/**
 * The history's "From" and "To" are days of the viewer's calendar, as the times of its rows
 * are: a viewer 14 hours ahead of UTC (or 11 behind) who picks today sees today's rows (as
 * UTC days they would fall on another day). A usage metered by the service API per MB or per 1,000 tokens says
 * its size or tokens, not its base quantity read as a count of units.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, DESKTOP, hasChromium, signIn } from '../support/browser.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the history days test: ${CHROMIUM} is missing.`);

describe.skipIf(!hasChromium && !process.env.CI)('history days and quantities in Chromium', () => {
  const suite = browserSuite();

  it('filters by the viewer’s days and says what a per-MB or per-token usage was', async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('admin');
    const u = await s.register();
    await s.grant(u.user.id, 20);
    for (const [operation, unit, quantity] of [
      ['llm_tokens', 'per_1k_tokens', 2500],
      ['file_upload', 'per_mb', 1_572_864],
    ] as const) {
      const r = await admin.api.post('/api/usage', { userId: u.user.id, operation, unit, quantity, idempotencyKey: randomUUID() });
      expect(r.status).toBe(201);
    }
    // A zone whose calendar day is not UTC's now: UTC+14 from 10:00 UTC, UTC-11 before 11:00 UTC.
    const ahead = new Date().getUTCHours() >= 10;
    const [timezoneId, offsetHours] = ahead ? ['Pacific/Kiritimati', 14] : ['Pacific/Pago_Pago', -11];
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`[far zone] console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`[far zone] page error: ${e.message}`));
    await page.goto(`${s.url}/signin`);
    await signIn(page, u.user.email);
    await page.goto(`${s.url}/credits`);
    const history = page.getByRole('region', { name: 'Transaction history' });
    const table = history.getByRole('table', { name: 'Transactions, newest first' });
    await table.getByText('2,500 tokens', { exact: true }).waitFor();
    await table.getByText('1.5 MB', { exact: true }).waitFor();
    const local = (days: number) => {
      const d = new Date(Date.now() + offsetHours * 3_600_000 + days * 86_400_000);
      return d.toISOString().slice(0, 10);
    };
    // Today's rows are in today's days: the filtered answer itself has them (the rows on screen before it would prove nothing).
    const bothDays = page.waitForResponse((r) => {
      const q = new URL(r.url());
      return q.pathname === '/api/credits/transactions' && q.searchParams.has('from') && q.searchParams.has('to');
    });
    await history.getByLabel('From').fill(local(0));
    await history.getByLabel('To').fill(local(0));
    expect(((await (await bothDays).json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(2);
    await table.getByText('2,500 tokens', { exact: true }).waitFor();
    await history.getByLabel('To').fill(local(1));
    await history.getByLabel('From').fill(local(1));
    await history.getByText('No transactions in these days.').waitFor();
    await history.getByLabel('From').fill(local(-1));
    await history.getByLabel('To').fill(local(-1));
    await history.getByText('No transactions in these days.').waitFor();
    await context.close();
    expect(errors).toEqual([]);
  }, 120_000);
});
