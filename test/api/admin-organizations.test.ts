/**
 * The administration of organisations on both databases: GET /api/admin/organizations lists
 * them newest first with their figures and members (owners first), searched by name, external
 * id or a member's email, paginated; POST /api/admin/organizations/:id/adjustments gives or takes
 * an organisation's credits (an `adjustment` row on its account, audited with targetType
 * "organization"), a debit past available is 402, a user's id or an unknown id 404, bad input
 * 400, nothing written by a refusal; non-admins 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('admin organisations on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const rows = async (accountId: string) =>
    Number(
      (
        await s.running.core.database.db
          .selectFrom('credit_transactions')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('user_id', '=', accountId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('lists organisations with figures and members, searched and paginated; non-admins 403', async () => {
    const admin = await s.userWithRole('admin');
    const owner = await s.register({ name: 'Olive Owner', email: `olive-${dialect}@example.com` });
    const member = await s.register({ name: 'Milo Member', email: `milo-${dialect}@example.com` });
    const first = (await owner.api.post('/api/orgs', { name: 'Acme Recruiting', externalId: `acme-${dialect}` })).body.organization;
    const second = (await owner.api.post('/api/orgs', { name: 'Beta Talent' })).body.organization;
    const inv = await owner.api.post(`/api/orgs/${first.id}/invitations`, { email: member.user.email, role: 'member' });
    expect((await member.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
    expect((await owner.api.patch(`/api/orgs/${first.id}/members/${member.user.id}`, { monthlyLimit: 12.5 })).status).toBe(200);

    const all = await admin.api.get('/api/admin/organizations');
    expect(all.status).toBe(200);
    const ids = all.body.items.map((o) => o.id);
    // Newest first; personal accounts are not organisations.
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    expect(ids).not.toContain(owner.user.id);
    const acme = all.body.items.find((o: { id: string }) => o.id === first.id);
    expect(acme).toEqual({
      id: first.id,
      name: 'Acme Recruiting',
      externalId: `acme-${dialect}`,
      balance: 0,
      reserved: 0,
      available: 0,
      lifetimePurchased: 0,
      lifetimeUsed: 0,
      createdAt: expect.any(String),
      members: [
        { userId: owner.user.id, email: owner.user.email, name: 'Olive Owner', role: 'owner', monthlyLimit: null },
        { userId: member.user.id, email: member.user.email, name: 'Milo Member', role: 'member', monthlyLimit: 12.5 },
      ],
    });

    const byEmail = await admin.api.get(`/api/admin/organizations?search=${encodeURIComponent(`MILO-${dialect}`)}`);
    expect(byEmail.body.items.map((o) => o.id)).toEqual([first.id]);
    const byExternal = await admin.api.get(`/api/admin/organizations?search=acme-${dialect}`);
    expect(byExternal.body.items.map((o) => o.id)).toEqual([first.id]);
    const byName = await admin.api.get('/api/admin/organizations?search=beta%20tal');
    expect(byName.body.items.map((o) => o.id)).toEqual([second.id]);
    // A `%` is matched as itself, not as a wildcard.
    expect((await admin.api.get('/api/admin/organizations?search=%25')).body.items).toEqual([]);

    const page1 = await admin.api.get('/api/admin/organizations?limit=1');
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await admin.api.get(`/api/admin/organizations?limit=1&cursor=${encodeURIComponent(page1.body.nextCursor ?? '')}`);
    expect(page2.body.items[0]?.id).not.toBe(page1.body.items[0]?.id);
    expect((await admin.api.get('/api/admin/organizations?limit=0')).status).toBe(400);
    expect((await admin.api.get('/api/admin/organizations?cursor=forged')).status).toBe(400);

    expect((await owner.api.get('/api/admin/organizations')).status).toBe(403);
    expect((await s.api.get('/api/admin/organizations')).status).toBe(401);
  });

  it("adjusts an organisation's credits, audited; refusals write nothing", async () => {
    const admin = await s.userWithRole('admin');
    const owner = await s.register();
    const org = (await owner.api.post('/api/orgs', { name: 'Gamma Hiring' })).body.organization;
    const path = `/api/admin/organizations/${org.id}/adjustments` as const;

    const given = await admin.api.post(path, { amount: 25.5, reason: 'Pilot credits' }, { 'idempotency-key': `org-adj-${dialect}` });
    expect(given.status).toBe(201);
    expect(given.body.transaction).toMatchObject({ type: 'adjustment', amount: 25.5, balanceAfter: 25.5, description: 'Pilot credits' });
    expect(given.body.balance).toEqual({ balance: 25.5, reserved: 0, available: 25.5 });
    // The same key replays; nothing moves again.
    const replay = await admin.api.post(path, { amount: 25.5, reason: 'Pilot credits' }, { 'idempotency-key': `org-adj-${dialect}` });
    expect(replay.body.transaction.id).toBe(given.body.transaction.id);
    // On the organisation's account; the owner's personal account is untouched.
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
    expect(await balanceMc(org.id)).toBe(25_500);
    expect(await balanceMc(owner.user.id)).toBe(0);
    const audit = (await admin.api.get('/api/admin/audit')).body.items.find((e) => e.action === 'credits.adjust' && e.targetId === org.id);
    expect(audit).toMatchObject({ targetType: 'organization', details: { amountMc: 25500, reason: 'Pilot credits' } });

    const taken = await admin.api.post(path, { amount: -5.5, reason: 'Correction' });
    expect(taken.status).toBe(201);
    expect(taken.body.balance.balance).toBe(20);

    const before = await rows(org.id);
    const tooMuch = await admin.api.post(path, { amount: -20.001, reason: 'Too much' });
    expect(tooMuch.status).toBe(402);
    expect(tooMuch.error?.code).toBe('insufficient_credits');
    expect((await admin.api.post(path, { amount: 0, reason: 'Nothing' })).status).toBe(400);
    expect((await admin.api.post(path, { amount: 1 })).status).toBe(400);
    expect((await admin.api.post(path, { amount: 1.0001, reason: 'Too fine' })).status).toBe(400);
    expect(await rows(org.id)).toBe(before);
    // A user's id is not an organisation's; an unknown id neither.
    const userBefore = await rows(owner.user.id);
    expect((await admin.api.post(`/api/admin/organizations/${owner.user.id}/adjustments`, { amount: 1, reason: 'x' })).status).toBe(404);
    expect((await admin.api.post('/api/admin/organizations/org_nope/adjustments', { amount: 1, reason: 'x' })).status).toBe(404);
    expect(await rows(owner.user.id)).toBe(userBefore);
    expect((await owner.api.post(path, { amount: 1, reason: 'mine' })).status).toBe(403);

    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });
});
