/**
 * The admin's webhooks page in Chromium: a new endpoint's secret is shown once with a
 * "Copy" button, an event sent to a local receiver appears in the delivery log with its
 * attempt's status code, "Retry" sends it again, and the endpoint is disabled.
 */
import { EVENT_TYPES } from '../../src/contracts/enums.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, hasChromium, newPage } from '../support/browser.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { until } from '../support/poll.js';
import { type Receiver, startReceiver, verifyStandardWebhook } from '../support/webhook-receiver.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the webhooks page test: ${CHROMIUM} is missing.`);

describe.skipIf(!hasChromium && !process.env.CI)('admin webhooks page in Chromium', () => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver();
  });
  afterAll(async () => {
    await rx?.close();
  });
  const suite = browserSuite({ WEBHOOKS_POLL_MS: '50' });

  it('creates an endpoint (secret shown once), shows deliveries with their attempts, retries one and disables the endpoint', async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('admin');
    const { page } = await newPage(browser, 'admin', errors);
    await page.goto(`${s.url}/signin`);
    await page.getByLabel('Email').fill(admin.user.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Admin', exact: true }).waitFor();
    await page.goto(`${s.url}/admin/webhooks`);
    await page.getByRole('link', { name: 'Webhooks' }).waitFor();
    await page.getByText('No endpoints yet.').waitFor();

    await page.getByRole('button', { name: 'New endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'New endpoint' });
    await dialog.getByLabel('Endpoint URL').fill(`${rx.url}/hooks`);
    await dialog.getByRole('button', { name: 'Create endpoint' }).click();
    const done = page.getByRole('dialog', { name: 'Endpoint created' });
    await done.getByText('shown only once').waitFor();
    await done.getByRole('button', { name: 'Copy' }).waitFor();
    const secret = (await done.getByTestId('webhook-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^whsec_/);
    await done.getByRole('button', { name: 'Close', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: `${rx.url}/hooks` });
    await row.getByText('Enabled').waitFor();

    // An event: a user buys credits; the receiver gets it, signed with the secret shown.
    const u = await s.register();
    expect((await u.api.call('POST /api/credits/purchase', { body: { packageId: 'pkg_starter' } })).status).toBe(201);
    const got = await until('the delivery', () => rx.received[0]);
    expect(verifyStandardWebhook(secret, got).type).toBe('credits.purchased');

    await row.getByRole('button', { name: /^Deliveries of/ }).click();
    const log = page.getByRole('region', { name: /^Deliveries to/ });
    await log.getByText('credits.purchased').waitFor();
    await until('the attempt in the log', async () => {
      await log.getByRole('button', { name: 'Refresh' }).click();
      return (await log.getByText('succeeded').count()) > 0;
    });
    await log
      .getByText(/: 200$/)
      .first()
      .waitFor();
    await log.getByRole('button', { name: /^Retry credits\.purchased/ }).click();
    await until('the resend', () => rx.received.length >= 2);
    expect(rx.received[1]?.id).toBe(got.id);
    // The log follows the resend by itself (no Refresh): two attempts, succeeded, nothing left pending.
    await log
      .getByText(/: 200$/)
      .nth(1)
      .waitFor();
    await until('the log without a pending delivery', async () => (await log.getByText('pending').count()) === 0);

    // Edited in place: the URL and the events it takes (its secret and log kept); the list says which events.
    await row.getByText('All events').waitFor();
    await row.getByRole('button', { name: `Edit ${rx.url}/hooks` }).click();
    const edit = page.getByRole('dialog', { name: 'Edit endpoint' });
    expect(await edit.getByLabel('Endpoint URL').inputValue()).toBe(`${rx.url}/hooks`);
    await edit.getByLabel('Endpoint URL').fill(`${rx.url}/hooks2`);
    for (const t of EVENT_TYPES.filter((t) => t !== 'credits.purchased' && t !== 'credits.refunded'))
      await edit.getByLabel(t, { exact: true }).uncheck();
    await edit.getByRole('button', { name: 'Save endpoint' }).click();
    await edit.waitFor({ state: 'detached' });
    const edited = page.getByRole('row').filter({ hasText: `${rx.url}/hooks2` });
    await edited.getByText('credits.purchased, credits.refunded').waitFor();
    const [ep] = (await admin.api.call('GET /api/admin/webhook-endpoints')).body.items;
    expect(ep).toMatchObject({ url: `${rx.url}/hooks2`, events: ['credits.purchased', 'credits.refunded'] });

    await edited.getByRole('button', { name: /^Disable/ }).click();
    await edited.getByText('Disabled').waitFor();
    // Deleted while its log is open: the log goes, and nothing asks for it again (no 404 in the console).
    await edited.getByRole('button', { name: /^Delete/ }).click();
    const confirm = page.getByRole('dialog', { name: `Delete the endpoint ${rx.url}/hooks2?` });
    await confirm.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByText('No endpoints yet.').waitFor();
    expect(await page.getByRole('region', { name: /^Deliveries to/ }).count()).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(errors).toEqual([]);
  }, 120_000);
});
