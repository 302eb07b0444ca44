/**
 * The admin's API keys page in Chromium: a new key is shown once with a "Copy" button and the words "shown only once" and
 * works on the service API; the list shows its prefix and last use; "Revoke" ends it at once.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, hasChromium, newPage, signIn } from '../support/browser.js';
import { until } from '../support/poll.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the API keys page test: ${CHROMIUM} is missing.`);

describe.skipIf(!hasChromium && !process.env.CI)('admin API keys page in Chromium', () => {
  const suite = browserSuite();

  it('creates a key (shown once), lists it with its last use, and revokes it', async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('admin');
    const { page } = await newPage(browser, 'admin', errors);
    await page.goto(`${s.url}/signin`);
    await signIn(page, admin.user.email);
    await page.getByRole('link', { name: 'Admin', exact: true }).waitFor();
    await page.goto(`${s.url}/admin/api-keys`);
    await page.getByRole('link', { name: 'API keys' }).waitFor();
    await page.getByText('No API keys yet.').waitFor();

    await page.getByRole('button', { name: 'New key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API key' });
    await dialog.getByLabel(/^Name/).fill('Recruitment backend');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('dialog', { name: /Recruitment backend/ });
    await shown.getByRole('button', { name: 'Copy', exact: true }).waitFor();
    await shown.getByText('shown only once').waitFor();
    const key = (await shown.getByTestId('new-api-key').textContent())?.trim() ?? '';
    expect(key).toMatch(/^ck_live_/);
    await shown.getByRole('button', { name: 'Done' }).click();

    const row = page.getByRole('row').filter({ hasText: 'Recruitment backend' });
    await row.getByText(key.slice(0, 14)).waitFor();
    await row.getByText('Never').waitFor();
    // The key works on the service API; the list then shows its last use.
    expect((await s.api.withToken(key).get('/api/v1/customers/nobody/balance')).status).toBe(404);
    // The use is recorded without holding up the request: reload until the list (rendered
    // after its own fetch, so wait for the row) shows a time instead of "Never".
    await until(
      'the last use in the list',
      async () => {
        await page.reload();
        await row.getByRole('button', { name: 'Revoke Recruitment backend' }).waitFor();
        return (await row.getByText('Never').count()) === 0;
      },
      60_000,
      250,
    );

    await row.getByRole('button', { name: 'Revoke Recruitment backend' }).click();
    await page
      .getByRole('dialog', { name: /Revoke/ })
      .getByRole('button', { name: 'Revoke key' })
      .click();
    await row.getByText(/^Revoked/).waitFor();
    expect((await s.api.withToken(key).get('/api/v1/customers/nobody/balance')).status).toBe(401);
    expect(errors).toEqual([]);
  }, 120_000);
});
