/**
 * The liability page in Chromium: an admin opens "Liability" and reads what the prepaid credits
 * outstanding are worth (a purchase valued at its price, a bonus at $0.00, what expires within
 * 30 days), picks a past day (nothing outstanding then) and downloads the figures as CSV.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, hasChromium, newPage, signIn } from '../support/browser.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the liability page test: ${CHROMIUM} is missing.`);

describe.skipIf(!hasChromium && !process.env.CI)('the liability page in Chromium', () => {
  const suite = browserSuite();

  it('shows the outstanding credits and their value now and at a past day, and downloads them', async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('admin');
    const u = await s.register();
    const ledger = s.running.core.ledger;
    // 40 credits bought for $12.34, expiring in 10 days; a bonus of 5 worth nothing, never expiring.
    await ledger.grant(u.user.id, 40_000, 'purchase', { grant: { valueCents: 1234, expiresAt: Date.now() + 10 * 86_400_000 } });
    await ledger.grant(u.user.id, 5_000, 'adjustment', { grant: { source: 'bonus' } });

    const { page } = await newPage(browser, 'admin', errors);
    await page.goto(`${s.url}/signin`);
    await signIn(page, admin.user.email);
    await page.goto(`${s.url}/admin`);
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Liability' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/liability');
    const figures = page.getByRole('definition');
    const stat = (label: string) => page.locator('.stat').filter({ has: page.getByRole('term').filter({ hasText: label }) });
    await stat('Outstanding value').getByText('$12.34').waitFor();
    expect(await stat('Outstanding credits').locator('dd').textContent()).toContain('45');
    expect(await stat('Expiring within 30 days').locator('dd').textContent()).toContain('40');
    expect(await stat('Expiring within 30 days').locator('dd').textContent()).toContain('$12.34');
    expect(await figures.count()).toBe(4);

    // A day before any of it: nothing outstanding.
    await page.getByLabel('As of (end of day, UTC)').fill('2020-01-01');
    await stat('Outstanding value').getByText('$0.00').waitFor();
    expect(await stat('Outstanding credits').locator('dd').textContent()).toContain('0');

    // The CSV of that day's figures.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('liability-2020-01-01.csv');
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(lines[0]).toBe('asOf,figure,from,to,credits,valueCents');
    expect(lines[1]).toBe('2020-01-01T23:59:59.999Z,outstanding,,,0,0');
    expect(errors).toEqual([]);
  });
});
