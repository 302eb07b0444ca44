/**
 * Organisations in Chromium (issue 18's browser flow): an owner creates an organisation on
 * /team, buys credits for it (its payments on /credits name her as the buyer), invites a member ("Invite member" shows the link once) and sets
 * their monthly limit; the member opens the link (signing in on the way), is switched to the
 * organisation, spends on /platform; the owner's header follows live; the member hits the
 * limit and is told so in plain words; the choice survives a reload; a member cannot buy; the
 * owner's analytics split usage by member; once removed, the member's dashboard falls back to
 * their personal account.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuild, launchChromium, newPage, runBrowserTests, signIn } from '../support/browser.js';
import { type TestServer, startTestServer } from '../support/server.js';

/** The header's balance reads `text` (it follows the stream). */
async function balanceIs(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => document.querySelector('[aria-label="Credit balance"]')?.textContent === t, text);
}

describe.runIf(runBrowserTests)('organisations in the dashboard in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  const errors: string[] = [];
  beforeAll(async () => {
    ensureBuild();
    s = await startTestServer('sqlite');
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('an owner sets up a team; a member joins, spends and hits their limit; the owner sees it live', async () => {
    const owner = await s.register({ name: 'Olive Owner' });
    const member = await s.register({ name: 'Milo Member' });
    await s.grant(owner.user.id, 5);

    // The owner has no organisation yet: no "Account" select; /team offers to create one.
    const { page: op } = await newPage(browser, 'owner', errors);
    // Every usage report asked by member names an organisation: a change of account refetches
    // the mounted report before it re-renders, and that call must ask for what its account
    // allows (a personal account answers groupBy=member with 400; that answer can come
    // before the call is dropped, or not, so the requests are what is checked).
    const byMemberWithoutOrg: string[] = [];
    op.on('request', (r) => {
      if (r.url().includes('/api/credits/usage?') && r.url().includes('groupBy=member') && !r.headers()['x-account'])
        byMemberWithoutOrg.push(r.url());
    });
    await op.goto(`${s.url}/signin`);
    await signIn(op, owner.user.email);
    await balanceIs(op, '5');
    await op.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
    await op.getByText('You are using your personal account').waitFor();
    expect(await op.getByRole('combobox', { name: 'Account' }).count()).toBe(0);
    await op.getByRole('button', { name: 'Create organisation' }).click();
    const create = op.getByRole('dialog', { name: 'Create organisation' });
    await create.getByRole('button', { name: 'Create organisation' }).click();
    // No name: said under the field, nothing made.
    await create.getByText('Enter a name.').waitFor();
    expect((await owner.api.get('/api/accounts')).body.items).toHaveLength(1);
    await create.getByLabel('Organisation name').fill('Acme Recruiting');
    await create.getByRole('button', { name: 'Create organisation' }).click();
    await create.waitFor({ state: 'detached' });

    // Switched to it: the select names it, the header shows its balance (0), the team its owner.
    const ownerSelect = op.getByRole('combobox', { name: 'Account' });
    await op.getByRole('heading', { name: 'Members of Acme Recruiting' }).waitFor();
    const orgId = await ownerSelect.inputValue();
    expect(orgId).not.toBe('');
    expect(await ownerSelect.locator('option').allTextContents()).toEqual(['Personal', 'Acme Recruiting']);
    await balanceIs(op, '0');
    await op.getByRole('row').filter({ hasText: 'Olive Owner' }).getByText('Owner', { exact: true }).waitFor();

    // The owner buys for the organisation: the credits land on its balance, not the personal one.
    await op.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Credits' }).click();
    await op.getByRole('button', { name: 'Buy credits' }).click();
    const buy = op.getByRole('dialog', { name: 'Buy credits' });
    await buy.getByText('For Acme Recruiting').waitFor();
    await buy.getByRole('article', { name: 'Starter' }).getByRole('button', { name: 'Buy' }).click();
    await buy.getByText('Purchase succeeded.').waitFor();
    await buy.getByRole('button', { name: 'Close' }).click();
    await balanceIs(op, '100');
    const orgBalance = async () => (await owner.api.get('/api/credits/balance', { 'x-account': orgId })).body.balance as number;
    expect(await orgBalance()).toBe(100);
    expect((await owner.api.get('/api/credits/balance')).body.balance).toBe(5);
    // The organisation's payments say who bought each.
    const orgPayments = op.getByRole('table', { name: 'The organisation’s payments' });
    await orgPayments.getByRole('columnheader', { name: 'Bought by' }).waitFor();
    await orgPayments.getByRole('row').filter({ hasText: 'starter' }).getByText('Olive Owner').waitFor();
    // The section spans the page: its last column is inside the card, not cut off.
    const card = await op.getByRole('region', { name: 'Payments' }).boundingBox();
    const receipt = await orgPayments.getByRole('columnheader', { name: 'Receipt' }).boundingBox();
    expect(receipt && card && receipt.x + receipt.width <= card.x + card.width).toBe(true);
    // Personal and back: the header follows the choice; a personal payment list has no buyer column.
    await ownerSelect.selectOption({ label: 'Personal' });
    await balanceIs(op, '5');
    await op.getByText('No payments yet. Buy credits to see them here.').waitFor();
    expect(await op.getByRole('columnheader', { name: 'Bought by' }).count()).toBe(0);
    await ownerSelect.selectOption({ label: 'Acme Recruiting' });
    await balanceIs(op, '100');

    // "Invite member": the link is shown once.
    await op.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
    await op.getByRole('button', { name: 'Invite' }).click();
    const invite = op.getByRole('dialog', { name: 'Invite member' });
    await invite.getByLabel('Email').fill(member.user.email);
    await invite.getByLabel('Role').selectOption('member');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await invite.getByText('shown only once').waitFor();
    const link = (await invite.getByTestId('invitation-link').textContent()) ?? '';
    expect(link).toMatch(new RegExp(`^${s.url}/accept-invitation#token=.+`));
    await invite.getByRole('button', { name: 'Done' }).click();

    // The member opens the link before signing in: sign-in, then back to the link, accepted.
    const { page: mp } = await newPage(browser, 'member', errors);
    await mp.goto(link);
    await mp.waitForURL((u) => u.pathname === '/signin');
    await signIn(mp, member.user.email);
    await mp.getByText('You joined Acme Recruiting as member.').waitFor();
    const memberSelect = mp.getByRole('combobox', { name: 'Account' });
    expect(await memberSelect.inputValue()).toBe(orgId);
    await balanceIs(mp, '100');
    // The link opened again (a reload, the mail's link clicked twice) is used up: it says where the organisation is.
    await mp.reload();
    await mp.getByText('This invitation cannot be accepted').waitFor();
    await mp.getByText(/If you already joined with this link, .*you belong to Acme Recruiting\./).waitFor();
    // A member sees the team read-only, and cannot buy for the organisation.
    await mp.goto(`${s.url}/team`);
    await mp.getByText('Only its owners and admins change the team').waitFor();
    expect(await mp.getByRole('button', { name: 'Invite' }).count()).toBe(0);
    await mp.goto(`${s.url}/credits`);
    await mp.getByRole('button', { name: 'Buy credits' }).click();
    await mp.getByRole('dialog', { name: 'Buy credits' }).getByText('Only owners and admins of Acme Recruiting buy credits').waitFor();
    expect(await mp.getByRole('dialog', { name: 'Buy credits' }).getByRole('button', { name: 'Buy' }).count()).toBe(0);
    await mp.getByRole('dialog', { name: 'Buy credits' }).getByRole('button', { name: 'Close' }).click();

    // The owner gives the member a monthly limit of 0.25 credits (a message costs 0.1).
    await op.reload();
    const row = op.getByRole('row').filter({ hasText: 'Milo Member' });
    await row.getByText('No limit').waitFor();
    await row.getByRole('button', { name: 'Change Milo Member' }).click();
    const change = op.getByRole('dialog', { name: 'Change Milo Member' });
    await change.getByLabel('Monthly limit (credits)').fill('0.25');
    await change.getByRole('button', { name: 'Save' }).click();
    await change.waitFor({ state: 'detached' });
    await row.getByText('0.25 credits').waitFor();

    // The member spends from the organisation; the owner's header follows live.
    await mp.goto(`${s.url}/platform`);
    const send = mp.getByRole('button', { name: 'Send message' });
    await send.click();
    await mp.getByText('Message sent.').waitFor();
    await balanceIs(mp, '99.9');
    await balanceIs(op, '99.9');
    await send.click();
    await balanceIs(op, '99.8');
    // The third would pass the limit: refused in plain words, nothing charged.
    await send.click();
    await mp.getByRole('alert').getByText('You reached your monthly limit.').waitFor();
    await mp
      .getByRole('alert')
      .getByText(/you have used 0\.2 of your 0\.25 credits this month/)
      .waitFor();
    expect(await orgBalance()).toBe(99.8);
    await row.getByText('0.2', { exact: true }).waitFor();

    // The choice survives a reload.
    await mp.reload();
    await balanceIs(mp, '99.8');
    expect(await memberSelect.inputValue()).toBe(orgId);

    // The owner's analytics split the organisation's usage by member.
    await op.goto(`${s.url}/credits`);
    const byMember = op.getByRole('table', { name: 'Usage by member' });
    await byMember.getByRole('row').filter({ hasText: 'Milo Member' }).getByText('0.2', { exact: true }).waitFor();

    // Removed, the member's next request for the organisation is 404: the dashboard falls back to personal.
    await op.goto(`${s.url}/team`);
    await row.getByRole('button', { name: 'Remove Milo Member' }).click();
    await op.getByRole('dialog', { name: 'Remove Milo Member?' }).getByRole('button', { name: 'Remove member' }).click();
    await row.waitFor({ state: 'detached' });
    await send.click();
    await memberSelect.waitFor({ state: 'detached' });
    await balanceIs(mp, '0');
    expect(await mp.evaluate(() => localStorage.getItem('credits.account'))).toBeNull();

    // The refusals made on purpose are the only console errors: 402 (the limit), 404 (removed).
    const unexpected = errors.filter(
      (e) =>
        !/status of 402 .*\/api\/messages\)$/.test(e) &&
        !/status of 404 .*\/api\/(messages|credits\/[a-z]+|invitations\/[^/]+\/accept)(\?.*)?\)$/.test(e),
    );
    expect(unexpected).toEqual([]);
    expect(byMemberWithoutOrg).toEqual([]);
  });
});
