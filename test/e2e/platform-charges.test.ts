/**
 * The platform page's charges in Chromium, as a hurried or unlucky person meets them: a
 * double click charges once (message, call, end of a call); an answer lost after the server
 * charged says that the outcome is unknown, and sending the same again replays it instead of
 * charging twice; a call started in one tab shows under "Open calls" in another without a
 * reload, and ending it there once it has ended says so; a file over the upload limit is
 * refused before it is sent.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, CHROMIUM, hasChromium, newPage, signIn } from '../support/browser.js';

if (!hasChromium && !process.env.CI) console.warn(`[e2e] skipping the platform charges test: ${CHROMIUM} is missing.`);

/** The list of calls (`GET /api/vapi/calls?status=open…`), not a call's own path. */
const callsList = (url: URL) => url.pathname === '/api/vapi/calls';

describe.skipIf(!hasChromium && !process.env.CI)('charges on /platform in Chromium', () => {
  const suite = browserSuite({ MAX_UPLOAD_MB: '1' });

  it('charges a double click once, and a retry after a lost answer once', async () => {
    const { s, browser, errors } = suite;
    const u = await s.userWithRole('user');
    await s.grant(u.user.id, 50);
    const usageRows = async () => {
      const t = await u.api.call('GET /api/credits/transactions', { query: { type: 'usage', limit: 200 } });
      return t.body.items.length;
    };
    const { page } = await newPage(browser, 'user', errors);
    await page.goto(`${s.url}/signin`);
    await signIn(page, u.user.email);
    await page.goto(`${s.url}/platform`);
    const header = page.getByRole('status', { name: 'Credit balance' });

    await page.getByRole('button', { name: 'Send message' }).dblclick();
    await page.getByText('Message sent.').waitFor();
    await expect.poll(() => header.textContent()).toBe('49.9');
    expect(await usageRows()).toBe(1);

    await page.getByRole('button', { name: 'Start call' }).dblclick();
    await page.getByText('Call started').waitFor();
    await page.getByRole('button', { name: 'End call' }).waitFor();
    expect(await page.getByRole('button', { name: 'End call' }).count()).toBe(1);
    expect((await u.api.call('GET /api/vapi/calls', { query: { status: 'open' } })).body.items).toHaveLength(1);

    await page.getByRole('button', { name: 'End call' }).dblclick();
    await page.getByText(/Call ended after 1 min 30 s/).waitFor();
    await page.getByText('No open calls.').waitFor();
    expect(await page.getByText('had already ended').count()).toBe(0);

    // The server charges, then the connection drops before the answer arrives.
    const before = await usageRows();
    const keys: string[] = [];
    let lose = true;
    await page.route('**/api/workflows/*/execute', async (route) => {
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (!lose) return route.continue();
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Run workflow' }).click();
    await page.getByText('We cannot tell whether this went through').waitFor();
    expect(await usageRows()).toBe(before + 1);
    lose = false;
    await page.getByRole('button', { name: 'Run workflow' }).click();
    await page.getByText('Workflow completed.').waitFor();
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(await usageRows()).toBe(before + 1);
    await page.unroute('**/api/workflows/*/execute');
    // Then a new run is a new charge.
    await page.getByRole('button', { name: 'Run workflow' }).click();
    await expect.poll(usageRows).toBe(before + 2);

    // The only console errors are those of the dropped connection.
    expect(errors.filter((e) => !e.includes('ERR_CONNECTION_RESET'))).toEqual([]);
    errors.length = 0;
  });

  it('follows the open calls of another tab, and refuses a file over the limit before sending it', async () => {
    const { s, browser, errors } = suite;
    const u = await s.userWithRole('user');
    await s.grant(u.user.id, 50);
    const { context, page: a } = await newPage(browser, 'tab a', errors);
    await a.goto(`${s.url}/signin`);
    await signIn(a, u.user.email);
    await a.goto(`${s.url}/platform`);
    const b = await context.newPage();
    b.on('console', (m) => {
      if (m.type() === 'error') errors.push(`[tab b] console: ${m.text()}`);
    });
    await b.goto(`${s.url}/platform`);
    await b.getByText('No open calls.').waitFor();

    await a.getByRole('button', { name: 'Start call' }).click();
    await a.getByRole('button', { name: 'End call' }).waitFor();
    // Tab b follows without a reload.
    await b.getByRole('button', { name: 'End call' }).waitFor();
    // Tab b kept from seeing the end (its list answered as it was): its own end then says the call had ended.
    const open = (await u.api.call('GET /api/vapi/calls', { query: { status: 'open' } })).body;
    await b.route(callsList, (route) => route.fulfill({ status: 200, json: open }));
    await a.getByRole('button', { name: 'End call' }).click();
    await a.getByText(/Call ended after/).waitFor();
    await b.unroute(callsList);
    await b.getByRole('button', { name: 'End call' }).click();
    await b.getByText(/had already ended after 1 min 30 s .*nothing more was charged/).waitFor();
    expect(await b.getByText('Charged 0 credits').count()).toBe(0);
    await b.getByText('No open calls.').waitFor();

    const input = a.locator('input[type=file]');
    await a.getByText('Up to 1 MB.').waitFor();
    let uploads = 0;
    await a.route('**/api/files', (route) => {
      uploads++;
      return route.continue();
    });
    await input.setInputFiles({ name: 'big.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(1_048_577, 1) });
    await a.getByText('Files are limited to 1 MB; this one is 1.01 MB.').waitFor();
    expect(await a.getByRole('button', { name: 'Upload file' }).isDisabled()).toBe(true);
    await input.setInputFiles({ name: 'small.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(1_048_576, 1) });
    await a.getByRole('button', { name: 'Upload file' }).click();
    await a.getByText('Uploaded small.pdf. Charged 0.25 credits').waitFor();
    expect(uploads).toBe(1);
    expect(errors).toEqual([]);
  });

  it('says the length of a call in minutes, a 402 that nothing was charged, and prices no duration the API cannot take', async () => {
    const { s, browser, errors } = suite;
    const u = await s.userWithRole('user');
    await s.grant(u.user.id, 6.5);
    const { page } = await newPage(browser, 'user', errors);
    await page.goto(`${s.url}/signin`);
    await signIn(page, u.user.email);
    await page.goto(`${s.url}/platform`);
    await page.getByRole('button', { name: 'Start call' }).click();
    const call = page.getByRole('article', { name: /^Call to / });
    await call.getByText(/up to 10 min ·/).waitFor();

    // More than 3 decimals: no estimate is asked (the API would answer 400), and no earlier price stays.
    const estimates: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/credits/estimate')) estimates.push(r.postData() ?? '');
    });
    const duration = call.getByLabel('Call duration (seconds)');
    await call.getByText(/Minutes cost\s+0\.75 credits/).waitFor();
    await duration.fill('0.0001');
    await duration.fill('-5');
    await expect.poll(() => call.locator('.price-line strong').count()).toBe(0);
    expect(estimates.filter((b) => b.includes('0.0001') || b.includes('-5'))).toEqual([]);

    // 0.5 credits left after the start (1) and the hold (5): a workflow (0.75) is refused, and says nothing was charged.
    await page.getByRole('button', { name: 'Run workflow' }).click();
    await page.getByText('You need more credits.').waitFor();
    await page.getByText(/Nothing was charged\./).waitFor();
    expect(errors.filter((e) => !e.includes('402'))).toEqual([]);
    errors.length = 0;
  });
});
