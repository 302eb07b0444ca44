/**
 * A double click on a form's submit button sends one request (lib/submit-once.ts): the button
 * is disabled only once React re-renders, after the second click has already arrived. Before,
 * "Sign in" signed in twice, "Send invitation" made two invitations and "Redeem" sent the code
 * twice (the second refused as already redeemed, over the first's success).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, hasChromium, newPage } from '../support/browser.js';
import { TEST_PASSWORD } from '../support/factories.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the double-submit test: ${CHROMIUM} is missing.`);

/** How many requests the page sent to `path` (its pathname) with `method`. */
function counting(page: Page, method: string, path: string | RegExp): () => number {
  let n = 0;
  page.on('request', (r) => {
    const p = new URL(r.url()).pathname;
    if (r.method() === method && (typeof path === 'string' ? p === path : path.test(p))) n++;
  });
  return () => n;
}

describe.skipIf(!hasChromium && !process.env.CI)('a double click submits once, in Chromium', () => {
  const suite = browserSuite();

  it('signs in, invites and redeems once for a double click', async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('admin');
    const code = `TWICE-${Date.now()}`;
    expect((await admin.api.post('/api/admin/promo-codes', { code, credits: 5 })).status).toBe(201);
    const u = await s.register({ name: 'Dee Double' });
    const org = (await u.api.post('/api/orgs', { name: 'Double Co' })).body.organization.id as string;
    const { page } = await newPage(browser, 'user', errors);

    const logins = counting(page, 'POST', '/api/auth/login');
    await page.goto(`${s.url}/signin`);
    await page.getByLabel('Email').fill(u.user.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).dblclick();
    await page.getByRole('status', { name: 'Credit balance' }).waitFor();
    expect(logins()).toBe(1);

    const redeems = counting(page, 'POST', '/api/credits/redeem');
    await page.goto(`${s.url}/credits`);
    await page.getByLabel('Promo code').fill(code);
    await page.getByRole('button', { name: 'Redeem' }).dblclick();
    await page.getByText('5 credits added').waitFor();
    expect(redeems()).toBe(1);
    expect(await page.getByText('already').count()).toBe(0);

    const invites = counting(page, 'POST', /^\/api\/orgs\/[^/]+\/invitations$/);
    await page.getByLabel('Account').selectOption(org);
    await page.goto(`${s.url}/team`);
    await page.getByRole('button', { name: 'Invite' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite member' });
    await dialog.getByLabel('Email').fill('new.member@example.com');
    await dialog.getByRole('button', { name: 'Send invitation' }).dblclick();
    await dialog.getByText('shown only once').waitFor();
    expect(invites()).toBe(1);
    expect((await u.api.get(`/api/orgs/${org}/invitations`)).body.items).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
