/**
 * The administration of organisations in Chromium: /admin/organizations (the "Organisations"
 * tab) lists them with their external id and members (role), searched by name; "Adjust credits"
 * on an organisation changes its account's balance, not its owner's, and the audit log words it
 * for the organisation. On /admin/payments, a payment an owner made for the organisation (with
 * X-Account) names the organisation, not the owner, and links to the organisations tab.
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, newPage, runBrowserTests, signIn } from '../support/browser.js';

describe.runIf(runBrowserTests)('organisations in the administration in Chromium', () => {
  const suite = browserSuite();

  it("an admin lists organisations with their members and adjusts an organisation's credits", async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('admin');
    const owner = await s.register({ name: 'Nora North' });
    const org = (await owner.api.post('/api/orgs', { name: 'Northwind Talent', externalId: 'nw-42' })).body.organization as { id: string };
    await owner.api.post('/api/orgs', { name: 'Other Org' });

    const { page } = await newPage(browser, 'admin', errors);
    await page.goto(`${s.url}/signin`);
    await signIn(page, admin.user.email);
    await page.goto(`${s.url}/admin`);
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Organisations' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/organizations');
    // Every organisation at first; the search keeps only the match.
    await page.getByRole('row').filter({ hasText: 'Other Org' }).waitFor();
    await page.getByLabel('Search').fill('northwind');
    const row = page.getByRole('row').filter({ hasText: 'Northwind Talent' });
    await row.getByText('(nw-42)').waitFor();
    await row.getByText(/Nora North .* · Owner/).waitFor();
    await page.getByRole('row').filter({ hasText: 'Other Org' }).waitFor({ state: 'detached' });

    await row.getByRole('button', { name: 'Adjust credits of Northwind Talent' }).click();
    const dialog = page.getByRole('dialog', { name: 'Adjust credits' });
    await dialog.getByText('The organisation Northwind Talent has 0 credits available.').waitFor();
    // A debit past what it holds: said to the admin about the organisation, not "You need more credits".
    await dialog.getByLabel('Amount (credits)').fill('-5');
    await dialog.getByLabel('Reason').fill('Correction');
    await dialog.getByRole('button', { name: 'Apply adjustment' }).click();
    await dialog
      .getByRole('alert')
      .getByText('Northwind Talent has only 0 credits available: a debit cannot take the available credits below zero.')
      .waitFor();
    expect(await dialog.getByText('You need more credits').count()).toBe(0);
    // The browser logs that refused request (402) as a console error: expected here, and the only one.
    const refused = errors.findIndex((e) => /status of 402 .*\/adjustments/.test(e));
    expect(refused).toBeGreaterThanOrEqual(0);
    errors.splice(refused, 1);
    await dialog.getByLabel('Amount (credits)').fill('12.5');
    await dialog.getByLabel('Reason').fill('Pilot month');
    await dialog.getByRole('button', { name: 'Apply adjustment' }).click();
    await dialog.getByText('Adjustment applied. Northwind Talent now has 12.5 credits available.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await row.getByRole('cell', { name: '12.5' }).first().waitFor();
    const balanceMc = async (id: string) =>
      Number(
        (
          await s.running.core.database.db
            .selectFrom('user_credits')
            .select('balance_mc')
            .where('user_id', '=', id)
            .executeTakeFirstOrThrow()
        ).balance_mc,
      );
    expect(await balanceMc(org.id)).toBe(12_500);
    expect(await balanceMc(owner.user.id)).toBe(0);

    // The audit log words it for the organisation.
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByText(/added 12\.5 credits to the organisation Northwind Talent/).waitFor();
    // And the organisation's own entries, in words too.
    await page.getByText(`${owner.user.email} created the organisation “Northwind Talent” (external id nw-42)`).waitFor();
    expect(errors).toEqual([]);
  });

  it("an admin sees an organisation's payment named for the organisation on the payments page", async () => {
    const { s, browser, errors } = suite;
    const admin = await s.userWithRole('admin');
    const owner = await s.register({ name: 'Paula Payer' });
    const org = (await owner.api.post('/api/orgs', { name: 'Southwind Hiring' })).body.organization as { id: string };
    const paid = await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { 'x-account': org.id });
    expect(paid.status).toBe(201);
    // And one of the owner's own, which stays named by the owner's email.
    expect((await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' })).status).toBe(201);

    const { page } = await newPage(browser, 'admin-payments', errors);
    await page.goto(`${s.url}/signin`);
    await signIn(page, admin.user.email);
    await page.goto(`${s.url}/admin/payments`);
    const rows = page.getByRole('table', { name: 'Payments' }).getByRole('row');
    const orgRow = rows.filter({ hasText: 'Southwind Hiring' });
    await orgRow.getByText('(organisation)').waitFor();
    expect(await orgRow.textContent()).toContain('$10.00');
    expect(await orgRow.textContent()).not.toContain(owner.user.email);
    await rows.filter({ hasText: owner.user.email }).waitFor();
    // The organisation's name leads to the organisations tab.
    await orgRow.getByRole('link', { name: 'Southwind Hiring' }).click();
    await page.waitForURL((u) => u.pathname === '/admin/organizations');
    await page.getByRole('row').filter({ hasText: 'Southwind Hiring' }).waitFor();
    expect(errors).toEqual([]);
  });
});
