/**
 * Admin forms in Chromium, as a hurried admin uses them: a double-click on "Create key" or
 * "Create endpoint" makes one key or endpoint (the one shown once), not a second never shown;
 * a date field of a report cleared asks for both days instead of sending `from=T00:00:00.000Z`;
 * "From" alone filters the payments; a pricing rule deactivated in its dialog can be reactivated;
 * a "Copy" the browser refuses says so.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, hasChromium, newPage, signIn } from '../support/browser.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the admin forms test: ${CHROMIUM} is missing.`);

describe.skipIf(!hasChromium && !process.env.CI)('admin forms in Chromium', () => {
  const suite = browserSuite();

  it('sends a double-clicked form once, keeps report ranges whole, filters payments from a day, reactivates a rule', async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('super_admin');
    const buyer = await s.register({ name: 'Payer Pat' });
    expect((await buyer.api.post('/api/credits/purchase', { packageId: 'pkg_starter' })).status).toBe(201);
    const { page } = await newPage(browser, 'admin', errors);
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/admin/')) requests.push(`${r.method()} ${decodeURIComponent(new URL(r.url()).search)}`);
    });
    await page.goto(`${s.url}/signin`);
    await signIn(page, admin.user.email);

    // A double-click makes one key and one endpoint.
    await page.goto(`${s.url}/admin/api-keys`);
    await page.getByText('No API keys yet.').waitFor();
    await page.getByRole('button', { name: 'New key' }).click();
    await page.getByRole('dialog', { name: 'New API key' }).getByLabel(/^Name/).fill('Hurried backend');
    await page.getByRole('dialog', { name: 'New API key' }).getByRole('button', { name: 'Create key' }).dblclick();
    // A browser that refuses the clipboard: said in the dialog, not an unhandled error.
    const shown = page.getByRole('dialog', { name: /Hurried backend/ });
    await page.evaluate(() =>
      Object.defineProperty(navigator, 'clipboard', {
        value: { writeText: () => Promise.reject(new DOMException('denied', 'NotAllowedError')) },
      }),
    );
    await shown.getByRole('button', { name: 'Copy', exact: true }).click();
    await shown.getByRole('alert').getByText('select it above and copy it yourself').waitFor();
    await shown.getByRole('button', { name: 'Done' }).click();
    expect((await admin.api.get('/api/admin/api-keys')).body.items).toHaveLength(1);

    await page.goto(`${s.url}/admin/webhooks`);
    await page.getByRole('button', { name: 'New endpoint' }).click();
    const endpoint = page.getByRole('dialog', { name: 'New endpoint' });
    await endpoint.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hook');
    await endpoint.getByRole('button', { name: 'Create endpoint' }).dblclick();
    await page.getByRole('dialog', { name: 'Endpoint created' }).getByRole('button', { name: 'Close' }).click();
    expect((await admin.api.get('/api/admin/webhook-endpoints')).body.items).toHaveLength(1);

    // A cleared date field: both days asked for, nothing sent.
    await page.goto(`${s.url}/admin/analytics`);
    await page.getByTestId('analytics-figures').waitFor();
    await page.getByLabel('From').fill('');
    await page.getByText('Enter both a start and an end date.').waitFor();
    expect(requests.filter((r) => r.includes('from=T'))).toEqual([]);

    // "From" alone filters the payments.
    await page.goto(`${s.url}/admin/payments`);
    await page.getByRole('row').filter({ hasText: buyer.user.email }).waitFor();
    await page.getByLabel('From').fill('2099-01-01');
    await page.getByText('No payments.').waitFor();
    expect(requests.some((r) => r.includes('from=2099-01-01T00:00:00.000Z'))).toBe(true);

    // A rule deactivated stays listed, inactive, with "Edit", which reactivates it.
    await page.goto(`${s.url}/admin/pricing`);
    const messageRow = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'Edit Message per message' }) });
    await page.getByRole('button', { name: 'Edit Message per message' }).click();
    let rule = page.getByRole('dialog', { name: /Edit Message/ });
    await rule.getByLabel('Active').uncheck();
    await rule.getByRole('button', { name: 'Save rule' }).click();
    await messageRow.getByText('Inactive').waitFor();
    await page.getByRole('button', { name: 'Edit Message per message' }).click();
    rule = page.getByRole('dialog', { name: /Edit Message/ });
    await rule.getByLabel('Active').check();
    await rule.getByRole('button', { name: 'Save rule' }).click();
    await messageRow.getByText('Active', { exact: true }).waitFor();
    const pricing = (await s.api.get('/api/credits/pricing')).body.items as { operation: string; unit: string }[];
    expect(pricing.some((r) => r.operation === 'message' && r.unit === 'per_message')).toBe(true);

    expect(errors).toEqual([]);
  }, 120_000);
});
