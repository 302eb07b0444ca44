/**
 * Two states the dashboard must not get wrong. The signed-in user is read again after a reload
 * (GET /api/auth/me): a busy server's 503 (load shedding) or a network blip on that read is
 * asked again, and when it keeps failing the admin pages say so with "Retry" instead of
 * "Checking your access…" for ever. A member of an organisation whose monthly limit is what
 * refuses an operation reads "past your monthly limit" beside its price, not "more than your
 * N available" while the balance covers it. Signing out in one tab and in as someone else in
 * another does not send the first user's organisation as the second's account.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, newPage, runBrowserTests, signIn } from '../support/browser.js';

const overloaded = {
  status: 503,
  contentType: 'application/json',
  headers: { 'retry-after': '1' },
  body: JSON.stringify({ error: { code: 'overloaded', message: 'The service is at capacity; nothing was done. Retry shortly.' } }),
};

describe.runIf(runBrowserTests)('session and limits in Chromium', () => {
  const suite = browserSuite();
  /** The browser's own line for the 503s this test answers on purpose. */
  const unexpected = () => suite.errors.filter((e) => !/status of 503/.test(e));

  it('an admin reloading while /api/auth/me is shed gets the admin pages, or "Retry" while it keeps failing', async () => {
    const { s, browser } = suite;
    const admin = await s.userWithRole('admin');
    const { context, page } = await newPage(browser, 'admin', suite.errors);
    await context.addInitScript((t) => localStorage.setItem('credits.token', t), admin.token);

    // Shed once: asked again, and the page opens.
    let calls = 0;
    await page.route('**/api/auth/me', (route) => (calls++ === 0 ? route.fulfill(overloaded) : route.continue()));
    await page.goto(`${s.url}/admin/users`);
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    expect(calls).toBeGreaterThanOrEqual(2);

    // Shed every time: the page says so and offers "Retry", which works once the server answers.
    await page.unroute('**/api/auth/me');
    let failing = true;
    await page.route('**/api/auth/me', (route) => (failing ? route.fulfill(overloaded) : route.continue()));
    await page.reload();
    await page.getByText('The service is at capacity').waitFor({ timeout: 20_000 });
    failing = false;
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await context.close();
    expect(unexpected()).toEqual([]);
  }, 60_000);

  it('a member past their monthly limit reads so beside the price, not that the balance is short', async () => {
    const { s, browser } = suite;
    const owner = await s.register({ name: 'Olive Owner' });
    const member = await s.register({ name: 'Milo Member' });
    const orgId = (await owner.api.post('/api/orgs', { name: 'Acme' })).body.organization.id as string;
    const inv = await owner.api.post(`/api/orgs/${orgId}/invitations`, { email: member.user.email, role: 'member' });
    expect((await member.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
    await s.grant(orgId, 100);
    expect((await owner.api.patch(`/api/orgs/${orgId}/members/${member.user.id}`, { monthlyLimit: 0.05 })).status).toBe(200);

    const { context, page } = await newPage(browser, 'member', suite.errors);
    await context.addInitScript(
      ([t, a]) => {
        localStorage.setItem('credits.token', t as string);
        localStorage.setItem('credits.account', a as string);
      },
      [member.token, orgId],
    );
    await page.goto(`${s.url}/platform`);
    const price = page.getByRole('region', { name: 'Message' }).locator('.price-line');
    await expect.poll(async () => (await price.textContent()) ?? '', { timeout: 20_000 }).toContain('past your monthly limit');
    expect(await price.textContent()).not.toContain('available');
    await context.close();
    expect(unexpected()).toEqual([]);
  }, 60_000);

  it('a tab that follows a sign-out and a sign-in elsewhere drops the account chosen by the previous user', async () => {
    const { s, browser } = suite;
    const owner = await s.register({ name: 'Tab Owner' });
    const other = await s.register({ name: 'Tab Other' });
    const orgId = (await owner.api.post('/api/orgs', { name: 'Tabs Inc' })).body.organization.id as string;
    await s.grant(orgId, 100);
    const { context, page: first } = await newPage(browser, 'first tab', suite.errors);
    await first.goto(`${s.url}/signin`);
    await signIn(first, owner.user.email);
    await first.getByLabel('Account', { exact: true }).selectOption(orgId);
    await expect.poll(() => first.getByRole('status', { name: 'Credit balance' }).textContent()).toBe('100');
    const second = await context.newPage();
    second.on('console', (m) => {
      if (m.type() === 'error') suite.errors.push(`[second tab] console: ${m.text()}`);
    });
    const refused: string[] = [];
    second.on('response', (r) => {
      if (r.status() === 404) refused.push(r.url());
    });
    await second.goto(`${s.url}/credits`);
    await expect.poll(() => second.getByRole('status', { name: 'Credit balance' }).textContent()).toBe('100');
    await first.getByRole('button', { name: 'Sign out' }).click();
    await second.waitForURL((u) => u.pathname.startsWith('/signin'));
    await signIn(second, other.user.email);
    await second.getByRole('heading', { name: 'Credits' }).waitFor();
    await second.waitForTimeout(1000);
    expect(refused.map((u) => u.replace(s.url, ''))).toEqual([]);
    expect(await second.evaluate(() => localStorage.getItem('credits.account'))).toBeNull();
    await context.close();
    expect(unexpected()).toEqual([]);
  }, 60_000);
});
