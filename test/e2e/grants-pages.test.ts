/**
 * Expiring credits in Chromium: an admin sets a package's credits and bonus expiry in the
 * Packages page's dialog, and gives a user credits with an "Expires at" day in the "Adjust
 * credits" dialog; the user's balance card then says how many credits expire by when.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, hasChromium, newPage, signIn } from '../support/browser.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the grants pages test: ${CHROMIUM} is missing.`);

describe.skipIf(!hasChromium && !process.env.CI)('expiring credits in the dashboard in Chromium', () => {
  const suite = browserSuite();

  async function signInAt(page: Page, email: string) {
    await page.goto(`${suite.s.url}/signin`);
    await signIn(page, email);
  }

  it('an admin sets package expiry and an expiring adjustment; the user sees what expires soon', async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('admin');
    const u = await s.userWithRole('user');
    await s.grant(u.user.id, 20);

    const { page } = await newPage(browser, 'admin', errors);
    await signInAt(page, admin.user.email);

    // The package dialog: credits expire after 30 days, the bonus after 7; blank is never.
    await page.goto(`${s.url}/admin/packages`);
    await page.getByRole('button', { name: 'New package' }).click();
    const dialog = page.getByRole('dialog', { name: 'New package' });
    await dialog.getByLabel('Package name').fill('Expiring e2e');
    await dialog.getByLabel('Credits', { exact: true }).fill('40');
    await dialog.getByLabel('Bonus credits').fill('5');
    // A price is in dollars, read exactly: a third decimal is refused, under 0.50 too, in the field's own unit.
    await dialog.getByLabel('Price (USD)').fill('12.345');
    await dialog.getByRole('button', { name: 'Create package' }).click();
    await dialog.getByText('Enter the price in USD with at most 2 decimals, such as 45.00.').waitFor();
    await dialog.getByLabel('Price (USD)').fill('0.25');
    await dialog.getByText('The price must be between $0.50 and $1,000,000.00.').waitFor();
    await dialog.getByLabel('Price (USD)').fill('9.00');
    await dialog.getByLabel('Credits expire after (days)').fill('0');
    await dialog.getByRole('button', { name: 'Create package' }).click();
    // 0 days is refused under its field, nothing created.
    await dialog.getByText('must be at least 1 day').waitFor();
    await dialog.getByLabel('Credits expire after (days)').fill('30');
    await dialog.getByLabel('Bonus expires after (days)').fill('7');
    await dialog.getByRole('button', { name: 'Create package' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: 'Expiring e2e' });
    await row.getByText('Credits: 30 days; bonus: 7 days').waitFor();
    const pkg = (await admin.api.get('/api/admin/packages')).body.items.find((p) => p.name === 'Expiring e2e');
    expect(pkg).toMatchObject({ creditsExpireInDays: 30, bonusExpireInDays: 7 });
    // Editing shows them and clears one.
    await page.getByRole('button', { name: 'Edit Expiring e2e' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Expiring e2e' });
    expect(await edit.getByLabel('Credits expire after (days)').inputValue()).toBe('30');
    await edit.getByLabel('Bonus expires after (days)').fill('');
    await edit.getByRole('button', { name: 'Save package' }).click();
    await edit.waitFor({ state: 'detached' });
    await row.getByText('Credits: 30 days; bonus: never').waitFor();

    // The adjustment dialog: 2.5 credits expiring at the end of a day 10 days from now.
    const day = new Date(Date.now() + 10 * 86_400_000);
    const ymd = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    await page.goto(`${s.url}/admin/users/${u.user.id}`);
    await page.getByRole('button', { name: 'Adjust credits' }).click();
    const adjust = page.getByRole('dialog', { name: 'Adjust credits' });
    await adjust.getByLabel('Amount (credits)').fill('-1');
    await adjust.getByLabel('Reason').fill('welcome offer');
    await adjust.getByLabel('Expires at').fill(ymd);
    await adjust.getByRole('button', { name: 'Apply adjustment' }).click();
    await adjust.getByText('Only credits given (a positive amount) can expire.').waitFor();
    await adjust.getByLabel('Amount (credits)').fill('2.5');
    await adjust.getByRole('button', { name: 'Apply adjustment' }).click();
    await adjust.getByText('Adjustment applied.').waitFor();
    const grants = (await u.api.get('/api/credits/grants')).body.items as { source: string; credits: number; expiresAt: string | null }[];
    const given = grants.find((g) => g.source === 'adjustment');
    expect(given?.credits).toBe(2.5);
    const at = new Date(given?.expiresAt ?? '');
    expect([at.getFullYear(), at.getMonth(), at.getDate(), at.getHours(), at.getMinutes()]).toEqual([
      day.getFullYear(),
      day.getMonth(),
      day.getDate(),
      23,
      59,
    ]);

    // The user's balance card says what expires soon, and by when.
    const { page: userPage } = await newPage(browser, 'user', errors);
    await signInAt(userPage, u.user.email);
    await userPage.goto(`${s.url}/credits`);
    const note = userPage.locator('.expiring-soon');
    await note.getByText(/2\.5 credits expire by/).waitFor();
    expect(await note.textContent()).toContain(at.toLocaleString());
    // The one error is the refused 0 days, on purpose.
    expect(errors.filter((e) => !/status of 400 .*\/api\/admin\/packages\)$/.test(e))).toEqual([]);
    expect(errors).toHaveLength(1);
  });
});
