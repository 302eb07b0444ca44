/**
 * The Team page in Chromium, on a desktop and on a 390x844 phone. An owner sees "Pending
 * invitations" (the ones made through the API and one made in "Invite member"), revokes one
 * ("Revoke", then "Revoke invitation"): it leaves the list and its token no longer joins. A
 * plain member sees the members list read-only: every member's name and role, their own
 * monthly limit and use this month (the others' are not shown), and no "Invite", "Change",
 * "Remove" or pending invitations; on the phone the page is no wider than the screen.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, ensureBuild, launchChromium, runBrowserTests } from '../support/browser.js';
import { type TestServer, startTestServer } from '../support/server.js';

const PHONE = { width: 390, height: 844 };

describe.runIf(runBrowserTests)('the Team page in Chromium', () => {
  let s: TestServer;
  let browser: Browser;
  const errors: string[] = [];
  let orgId: string;
  let owner: Awaited<ReturnType<TestServer['register']>>;
  let member: Awaited<ReturnType<TestServer['register']>>;
  let admin: Awaited<ReturnType<TestServer['register']>>;
  beforeAll(async () => {
    ensureBuild();
    s = await startTestServer('sqlite');
    browser = await launchChromium();
    owner = await s.register({ name: 'Olive Owner' });
    member = await s.register({ name: 'Milo Member' });
    admin = await s.register({ name: 'Ada Admin' });
    orgId = (await owner.api.post('/api/orgs', { name: 'Acme Recruiting' })).body.organization.id;
    for (const [who, role] of [
      [member, 'member'],
      [admin, 'admin'],
    ] as const) {
      const inv = await owner.api.post(`/api/orgs/${orgId}/invitations`, { email: who.user.email, role });
      expect((await who.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
    }
    await s.grant(orgId, 10);
    expect((await owner.api.patch(`/api/orgs/${orgId}/members/${member.user.id}`, { monthlyLimit: 0.5 })).status).toBe(200);
    expect((await owner.api.patch(`/api/orgs/${orgId}/members/${admin.user.id}`, { monthlyLimit: 3 })).status).toBe(200);
    const sent = await member.api.post('/api/messages', { to: 'x', body: 'hi' }, { 'x-account': orgId, 'idempotency-key': 'team-1' });
    expect(sent.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  async function open(token: string, viewport: typeof DESKTOP, label: string): Promise<Page> {
    const context = await browser.newContext({
      viewport,
      isMobile: viewport === PHONE,
      hasTouch: viewport === PHONE,
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    await context.addInitScript(
      ([t, a]) => {
        localStorage.setItem('credits.token', t as string);
        localStorage.setItem('credits.account', a as string);
      },
      [token, orgId],
    );
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`[${label}] console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`[${label}] page error: ${e.message}`));
    await page.goto(`${s.url}/team`);
    await page.getByRole('heading', { name: 'Members of Acme Recruiting' }).waitFor();
    return page;
  }

  it('an owner sees the pending invitations and revokes one; its token no longer joins', async () => {
    const grace = await s.register({ name: 'Grace' });
    const toGrace = await owner.api.post(`/api/orgs/${orgId}/invitations`, { email: grace.user.email, role: 'member' });
    expect((await owner.api.post(`/api/orgs/${orgId}/invitations`, { email: 'linus@example.com', role: 'admin' })).status).toBe(201);
    const page = await open(owner.token, DESKTOP, 'owner');
    const pending = page.getByRole('table', { name: 'Pending invitations to Acme Recruiting' });
    await pending.getByRole('row').filter({ hasText: grace.user.email }).waitFor();
    await pending.getByRole('row').filter({ hasText: 'linus@example.com' }).getByText('Admin', { exact: true }).waitFor();
    // The owner still manages the members, owners included.
    await page.getByRole('button', { name: 'Change Milo Member' }).waitFor();
    await page.getByRole('button', { name: 'Change Olive Owner' }).waitFor();

    // One made in "Invite member" joins the list.
    await page.getByRole('button', { name: 'Invite' }).click();
    const invite = page.getByRole('dialog', { name: 'Invite member' });
    await invite.getByLabel('Email').fill('new.hire@example.com');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await invite.getByText('shown only once').waitFor();
    await invite.getByRole('button', { name: 'Done' }).click();
    await pending.getByRole('row').filter({ hasText: 'new.hire@example.com' }).waitFor();
    // A token is never shown in the list.
    expect(await pending.textContent()).not.toMatch(/inv_/);

    await page.getByRole('button', { name: `Revoke the invitation to ${grace.user.email}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke invitation?' });
    await dialog.getByText(grace.user.email).waitFor();
    await dialog.getByRole('button', { name: 'Revoke invitation' }).click();
    await dialog.waitFor({ state: 'detached' });
    await pending.getByRole('row').filter({ hasText: grace.user.email }).waitFor({ state: 'detached' });
    const left = (await owner.api.get(`/api/orgs/${orgId}/invitations`)).body.items.map((i: { email: string }) => i.email);
    expect(left.sort()).toEqual(['linus@example.com', 'new.hire@example.com']);
    expect((await grace.api.post(`/api/invitations/${toGrace.body.invitation.token}/accept`)).status).toBe(404);
    await page.context().close();
  });

  for (const [viewport, label] of [
    [DESKTOP, 'desktop'],
    [PHONE, 'phone'],
  ] as const) {
    it(`a plain member sees the members read-only, with their own limit and use, on a ${label}`, async () => {
      const page = await open(member.token, viewport, `member ${label}`);
      const table = page.getByRole('table', { name: 'Members of Acme Recruiting' });
      const row = (name: string) => table.getByRole('row').filter({ hasText: name });
      await row('Milo Member').getByText('0.5 credits').waitFor();
      await row('Milo Member').getByText('0.1', { exact: true }).waitFor();
      await row('Olive Owner').getByText('Owner', { exact: true }).waitFor();
      await row('Ada Admin').getByText('Admin', { exact: true }).waitFor();
      await row('Milo Member').getByText('Member', { exact: true }).waitFor();
      // The others' limits and use are not the member's to see.
      expect(await row('Ada Admin').textContent()).not.toContain('3 credits');
      expect(await row('Ada Admin').textContent()).toContain('—');
      await page.getByTestId('your-membership').getByText('0.5 credits').waitFor();
      // Read-only: no way to invite, change, remove or see the invitations; no emails.
      for (const name of ['Invite', 'Change', 'Remove', 'Revoke']) {
        expect(await page.getByRole('button', { name, exact: false }).count(), name).toBe(0);
      }
      expect(await page.getByText('Pending invitations').count()).toBe(0);
      expect(await page.locator('main').textContent()).not.toContain(owner.user.email);
      // "Create organisation" is everyone's: it stays.
      await page.getByRole('button', { name: 'Create organisation' }).waitFor();
      // On the organisation's credits page no promo code is offered (the API refuses a member's redemption).
      await page.goto(`${s.url}/credits`);
      await page.getByRole('heading', { name: 'Balance' }).waitFor();
      expect(await page.getByLabel('Promo code').count()).toBe(0);
      if (viewport === PHONE) {
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      }
      await page.context().close();
    });
  }

  it('an admin manages the members and admins but not the owner: no Change or Remove on an owner’s row', async () => {
    const page = await open(admin.token, DESKTOP, 'admin');
    await page.getByRole('button', { name: 'Change Milo Member' }).waitFor();
    await page.getByRole('button', { name: 'Remove Ada Admin' }).waitFor();
    expect(await page.getByRole('button', { name: 'Change Olive Owner' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Remove Olive Owner' }).count()).toBe(0);
    // The owner role is not offered to an admin (only an owner gives it): neither inviting nor changing.
    await page.getByRole('button', { name: 'Invite' }).click();
    const invite = page.getByRole('dialog', { name: 'Invite member' });
    const roles = async (d: typeof invite) => d.getByLabel('Role').locator('option').allTextContents();
    expect((await roles(invite)).join('|')).not.toMatch(/Owner/);
    await invite.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Change Milo Member' }).click();
    const change = page.getByRole('dialog', { name: 'Change Milo Member' });
    expect(await roles(change)).toEqual(['Member', 'Admin']);
    await change.getByRole('button', { name: 'Cancel' }).click();
    // The admin redeems codes for the organisation: the field is there.
    await page.goto(`${s.url}/credits`);
    await page.getByLabel('Promo code').waitFor();
    await page.context().close();
  });

  it('logs no console errors', () => {
    expect(errors).toEqual([]);
  });
});
