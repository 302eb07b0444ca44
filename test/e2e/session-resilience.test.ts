/**
 * The signed-in user is read again after a reload (GET /api/auth/me): a busy server's 503
 * (load shedding) or a network blip on that read is asked again, and when it keeps failing the
 * admin pages say so with "Retry" instead of "Checking your access…" for ever.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, newPage, runBrowserTests } from '../support/browser.js';

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
});
