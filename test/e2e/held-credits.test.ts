/**
 * The "Held credits" section of /credits in Chromium: a call's minutes and a hold the
 * platform placed through the service API appear, one row each, once the balance shows
 * reserved credits (the card's "see what holds them" leads there); releasing the hold
 * takes its row away live, and when nothing is held the section is gone.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, hasChromium, newPage, signIn } from '../support/browser.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the held credits test: ${CHROMIUM} is missing.`);

describe.skipIf(!hasChromium && !process.env.CI)('held credits on /credits in Chromium', () => {
  const suite = browserSuite();

  it('lists each hold behind the reserved credits, and drops a released one live', async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('admin');
    const svc = s.api.withToken((await admin.api.call('POST /api/admin/api-keys', { body: { name: 'Holds' } })).body.key);
    const u = await s.userWithRole('user');
    await s.grant(u.user.id, 50);
    const externalId = `held-e2e-${u.user.id}`;
    // The service API finds customers by their account's external id (the personal account's id is the user's).
    await s.running.core.database.db.updateTable('accounts').set({ external_id: externalId }).where('id', '=', u.user.id).execute();

    const { page } = await newPage(browser, 'user', errors);
    await page.goto(`${s.url}/signin`);
    await signIn(page, u.user.email);
    await page.goto(`${s.url}/credits`);
    await page.getByText('nothing held').waitFor();
    expect(await page.getByRole('heading', { name: 'Held credits' }).count()).toBe(0);

    expect((await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 300 })).status).toBe(201);
    const hold = await svc.post('/api/v1/holds', { customer: externalId, operation: 'ai_interview', unit: 'per_minute', quantity: 600 });
    expect(hold.status).toBe(201);

    // Live: the stream brings the reserved credits, and with them the section.
    await page.getByRole('link', { name: 'see what holds them' }).click();
    const table = page.getByRole('table', { name: 'Credits held' });
    await table.getByText('Call minutes, while the call lasts').waitFor();
    const row = table.getByRole('row').filter({ hasText: 'held by the platform' });
    await row.waitFor();
    await row.getByText('10').first().waitFor();
    await table.getByRole('link', { name: 'End the call' }).waitFor();

    expect((await svc.post(`/api/v1/holds/${hold.body.hold.id}/release`, {})).status).toBe(200);
    await row.waitFor({ state: 'detached' });
    await table.getByText('Call minutes, while the call lasts').waitFor();
    expect(errors).toEqual([]);
  });
});
