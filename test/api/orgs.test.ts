/**
 * Organisations on both databases: a user creates one (owner; a taken external id is 409
 * with nothing made), lists their accounts, invites by email (token answered once and
 * mailed through SMTP; 7 days), the invited user accepts (another email, a used, expired
 * or unknown token: 404), members are listed with this month's spending, owners and admins
 * change roles and limits and remove members (a member gets 403, an outsider 404; the last
 * owner can be neither removed nor demoted: 409), owners and admins list pending invitations
 * and revoke them (the token then 404), and each change is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageMonth } from '../../src/core/orgs/membership.js';
import { activeDialects } from '../support/db.js';
import { type Client, type TestServer, startTestServer } from '../support/server.js';
import { type LocalSmtp, startSmtp } from '../support/smtp.js';

describe.each(await activeDialects())('organisations on %s', (dialect) => {
  let s: TestServer;
  let smtp: LocalSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
    s = await startTestServer(dialect, {
      SMTP_URL: smtp.url,
      ALERTS_EMAIL_FROM: 'Credits <credits@example.com>',
      PUBLIC_URL: 'https://billing.example.com/',
    });
  });
  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
  });

  const del = (api: Client, path: string) => api.request('DELETE', path);

  /** Invites `email` with `role` and has that user accept; returns the member's client. */
  async function join(owner: Client, orgId: string, role: 'owner' | 'admin' | 'member') {
    const m = await s.register();
    const inv = await owner.post(`/api/orgs/${orgId}/invitations`, { email: m.user.email, role });
    expect(inv.status).toBe(201);
    const acc = await m.api.post(`/api/invitations/${inv.body.invitation.token}/accept`);
    expect(acc.status).toBe(200);
    return m;
  }

  it('creates an organisation owned by its creator, listed among their accounts; a taken external id is 409, nothing made', async () => {
    const ada = await s.register({ name: 'Ada' });
    const created = await ada.api.post('/api/orgs', { name: 'Northwind', externalId: `team-${dialect}` });
    expect(created.status).toBe(201);
    const org = created.body.organization;
    expect(org).toEqual({ id: expect.stringMatching(/^org_/), name: 'Northwind', externalId: `team-${dialect}` });
    const accounts = await ada.api.get('/api/accounts');
    expect(accounts.status).toBe(200);
    expect(accounts.body.items).toEqual([
      { id: ada.user.id, kind: 'personal', name: 'Ada', role: 'owner', externalId: null },
      { id: org.id, kind: 'organization', name: 'Northwind', role: 'owner', externalId: `team-${dialect}` },
    ]);
    // The new account has an empty balance of its own.
    const db = s.running.core.database.db;
    const balance = await db.selectFrom('user_credits').selectAll().where('user_id', '=', org.id).executeTakeFirstOrThrow();
    expect(Number(balance.balance_mc)).toBe(0);

    const before = Number(
      (
        await db
          .selectFrom('accounts')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const again = await ada.api.post('/api/orgs', { name: 'Copy', externalId: `team-${dialect}` });
    expect(again.status).toBe(409);
    expect(again.error?.code).toBe('conflict');
    // A user's sub is in the same namespace.
    await db
      .updateTable('accounts')
      .set({ external_id: `sub-${dialect}` })
      .where('id', '=', ada.user.id)
      .execute();
    expect((await ada.api.post('/api/orgs', { name: 'Copy', externalId: `sub-${dialect}` })).status).toBe(409);
    expect((await ada.api.post('/api/orgs', { name: '' })).status).toBe(400);
    expect((await ada.api.post('/api/orgs', { name: 'X', extra: 1 })).status).toBe(400);
    const after = Number(
      (
        await db
          .selectFrom('accounts')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(after).toBe(before);
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'organization.create')
      .where('target_id', '=', org.id)
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('invites by email (token once, mailed), the invited user joins; other emails, used, expired and unknown tokens are 404', async () => {
    const owner = await s.register({ name: 'Owner' });
    const org = (await owner.api.post('/api/orgs', { name: 'Acme' })).body.organization;
    const grace = await s.register({ name: 'Grace' });
    const t0 = Date.now();
    const inv = await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: grace.user.email.toUpperCase(), role: 'member' });
    expect(inv.status).toBe(201);
    const { token, expiresAt, email, role } = inv.body.invitation;
    expect({ email, role }).toEqual({ email: grace.user.email, role: 'member' });
    const ttl = Date.parse(expiresAt) - t0;
    expect(ttl).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * 86_400_000 + 60_000);
    // Only the hash is stored.
    const db = s.running.core.database.db;
    const stored = await db.selectFrom('invitations').selectAll().where('id', '=', inv.body.invitation.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain(token);
    const mail = await smtp.waitFor(grace.user.email, /invited to Acme/);
    expect(mail.text).toContain(token);
    expect(mail.text).toContain('https://billing.example.com/accept-invitation#token=');

    // Someone else cannot use it, nor can a made-up token.
    const eve = await s.register();
    expect((await eve.api.post(`/api/invitations/${token}/accept`)).status).toBe(404);
    expect((await grace.api.post('/api/invitations/inv_nothing/accept')).status).toBe(404);
    // Not a member yet: the organisation does not exist for Grace.
    expect((await grace.api.get(`/api/orgs/${org.id}/members`)).status).toBe(404);

    const ok = await grace.api.post(`/api/invitations/${token}/accept`);
    expect(ok.status).toBe(200);
    expect(ok.body.account).toEqual({ id: org.id, kind: 'organization', name: 'Acme', role: 'member', externalId: null });
    expect((await grace.api.get('/api/accounts')).body.items.map((a: { id: string }) => a.id)).toEqual([grace.user.id, org.id]);
    // Used: 404 again, and no second membership.
    expect((await grace.api.post(`/api/invitations/${token}/accept`)).status).toBe(404);

    // An expired invitation is 404.
    const late = await s.register();
    const inv2 = await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: late.user.email, role: 'admin' });
    await db
      .updateTable('invitations')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', inv2.body.invitation.id)
      .execute();
    expect((await late.api.post(`/api/invitations/${inv2.body.invitation.token}/accept`)).status).toBe(404);
    // Inviting a member already in is 409; bad input 400.
    expect((await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: grace.user.email, role: 'member' })).status).toBe(409);
    expect((await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: 'not-an-email', role: 'member' })).status).toBe(400);
    expect((await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: 'x@example.com', role: 'boss' })).status).toBe(400);

    // A member cannot invite (403); an outsider is told there is no such organisation (404).
    expect((await grace.api.post(`/api/orgs/${org.id}/invitations`, { email: 'y@example.com', role: 'member' })).status).toBe(403);
    expect((await eve.api.post(`/api/orgs/${org.id}/invitations`, { email: 'y@example.com', role: 'member' })).status).toBe(404);
    // A personal account is not an organisation.
    expect((await owner.api.post(`/api/orgs/${owner.user.id}/invitations`, { email: 'y@example.com', role: 'member' })).status).toBe(404);
  });

  it('lists members with limits and this month\u2019s spending; owners and admins change them; the last owner stays', async () => {
    const owner = await s.register({ name: 'Olivia' });
    const org = (await owner.api.post('/api/orgs', { name: 'Globex' })).body.organization;
    const admin = await join(owner.api, org.id, 'admin');
    const member = await join(owner.api, org.id, 'member');
    const outsider = await s.register();
    const db = s.running.core.database.db;
    await db
      .insertInto('member_month_usage')
      .values({ account_id: org.id, user_id: member.user.id, month: usageMonth(Date.now()), used_mc: 37_500 })
      .execute();
    await db
      .insertInto('member_month_usage')
      .values({ account_id: org.id, user_id: member.user.id, month: '2001-01', used_mc: 999 })
      .execute();

    const limited = await admin.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, { monthlyLimit: 200.5 });
    expect(limited.status).toBe(200);
    expect(limited.body.member).toMatchObject({ userId: member.user.id, role: 'member', monthlyLimit: 200.5, usedThisMonth: 37.5 });
    const list = await member.api.get(`/api/orgs/${org.id}/members`);
    expect(list.status).toBe(200);
    expect(
      list.body.items.map((m: { role: string; monthlyLimit: number | null; usedThisMonth: number }) => [
        m.role,
        m.monthlyLimit,
        m.usedThisMonth,
      ]),
    ).toEqual([
      ['owner', null, 0],
      ['admin', null, 0],
      ['member', 200.5, 37.5],
    ]);
    expect((await outsider.api.get(`/api/orgs/${org.id}/members`)).status).toBe(404);
    // Bad input is 400 with nothing changed.
    for (const body of [{}, { monthlyLimit: -1 }, { monthlyLimit: 1.0005 }, { role: 'boss' }]) {
      expect((await owner.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, body)).status).toBe(400);
    }
    // A member cannot change anyone; an admin cannot make or unmake owners, nor limit one.
    expect((await member.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, { monthlyLimit: null })).status).toBe(403);
    expect((await admin.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, { role: 'owner' })).status).toBe(403);
    expect((await admin.api.patch(`/api/orgs/${org.id}/members/${owner.user.id}`, { role: 'member' })).status).toBe(403);
    const ownerLimit = await admin.api.patch(`/api/orgs/${org.id}/members/${owner.user.id}`, { monthlyLimit: 0 });
    expect(ownerLimit.status).toBe(403);
    expect(ownerLimit.error?.message).toMatch(/change an owner's limit/);
    expect((await admin.api.patch(`/api/orgs/${org.id}/members/${owner.user.id}`, { monthlyLimit: null })).status).toBe(403);
    const ownerLimitRow = () =>
      db
        .selectFrom('account_members')
        .select('monthly_limit_mc')
        .where('account_id', '=', org.id)
        .where('user_id', '=', owner.user.id)
        .executeTakeFirstOrThrow();
    expect((await ownerLimitRow()).monthly_limit_mc).toBeNull();
    // An owner may limit an owner (here themselves), and lift it again.
    expect((await owner.api.patch(`/api/orgs/${org.id}/members/${owner.user.id}`, { monthlyLimit: 5 })).status).toBe(200);
    expect(Number((await ownerLimitRow()).monthly_limit_mc)).toBe(5_000);
    expect((await owner.api.patch(`/api/orgs/${org.id}/members/${owner.user.id}`, { monthlyLimit: null })).status).toBe(200);
    expect((await outsider.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, { monthlyLimit: 1 })).status).toBe(404);
    expect((await owner.api.patch(`/api/orgs/${org.id}/members/${outsider.user.id}`, { monthlyLimit: 1 })).status).toBe(404);
    // The last owner can be neither demoted nor removed.
    const demote = await owner.api.patch(`/api/orgs/${org.id}/members/${owner.user.id}`, { role: 'admin' });
    expect(demote.status).toBe(409);
    expect((await del(owner.api, `/api/orgs/${org.id}/members/${owner.user.id}`)).status).toBe(409);
    // With a second owner, the first may step down.
    expect((await owner.api.patch(`/api/orgs/${org.id}/members/${admin.user.id}`, { role: 'owner' })).status).toBe(200);
    expect((await owner.api.patch(`/api/orgs/${org.id}/members/${owner.user.id}`, { role: 'admin' })).status).toBe(200);
    expect((await admin.api.patch(`/api/orgs/${org.id}/members/${admin.user.id}`, { role: 'member' })).status).toBe(409);
    expect((await member.api.patch(`/api/orgs/${org.id}/members/${member.user.id}`, { monthlyLimit: null })).status).toBe(403);
    const limitRow = await db
      .selectFrom('account_members')
      .select('monthly_limit_mc')
      .where('account_id', '=', org.id)
      .where('user_id', '=', member.user.id)
      .executeTakeFirstOrThrow();
    expect(Number(limitRow.monthly_limit_mc)).toBe(200_500);

    // Removing: a member cannot remove others (403), may leave; the removed user is an outsider at once.
    const other = await join(owner.api, org.id, 'member');
    expect((await del(member.api, `/api/orgs/${org.id}/members/${other.user.id}`)).status).toBe(403);
    const removed = await del(owner.api, `/api/orgs/${org.id}/members/${member.user.id}`);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ removed: true, userId: member.user.id });
    expect((await member.api.get(`/api/orgs/${org.id}/members`)).status).toBe(404);
    expect((await member.api.get('/api/accounts')).body.items).toHaveLength(1);
    expect((await del(owner.api, `/api/orgs/${org.id}/members/${member.user.id}`)).status).toBe(404);
    expect((await del(other.api, `/api/orgs/${org.id}/members/${other.user.id}`)).status).toBe(200);

    const actions = (await db.selectFrom('audit_log').select('action').where('target_id', '=', org.id).execute())
      .map((a) => a.action)
      .sort();
    expect(actions).toEqual(
      expect.arrayContaining([
        'organization.create',
        'organization.invite',
        'organization.join',
        'organization.member_update',
        'organization.member_remove',
        'organization.leave',
      ]),
    );
    // The admin's audit log names the organisation of each of them (targetName), as it does an adjustment's.
    const siteAdmin = await s.userWithRole('admin');
    const audit = (await siteAdmin.api.get('/api/admin/audit?limit=200')).body.items.filter((a) => a.targetId === org.id);
    expect(audit.length).toBeGreaterThanOrEqual(6);
    expect(new Set(audit.map((a) => a.targetName))).toEqual(new Set([org.name]));
  });

  it('two owners demoting each other at once leave one owner', async () => {
    const a = await s.register();
    const org = (await a.api.post('/api/orgs', { name: 'Race' })).body.organization;
    const b = await join(a.api, org.id, 'owner');
    const [ra, rb] = await Promise.all([
      a.api.patch(`/api/orgs/${org.id}/members/${b.user.id}`, { role: 'member' }),
      b.api.patch(`/api/orgs/${org.id}/members/${a.user.id}`, { role: 'member' }),
    ]);
    // The second, decided after the first under the organisation's lock, comes from a member now: 403.
    expect([ra.status, rb.status].sort()).toEqual([200, 403]);
    const owners = await s.running.core.database.db
      .selectFrom('account_members')
      .select('user_id')
      .where('account_id', '=', org.id)
      .where('role', '=', 'owner')
      .execute();
    expect(owners).toHaveLength(1);
  });
  it('lists pending invitations to owners and admins (never a token) and revokes one: its token then accepts as 404', async () => {
    const owner = await s.register();
    const org = (await owner.api.post('/api/orgs', { name: 'Pending' })).body.organization;
    const admin = await join(owner.api, org.id, 'admin');
    const member = await join(owner.api, org.id, 'member');
    const outsider = await s.register();
    const grace = await s.register();
    const invite = async (api: Client, email: string, role: string) => {
      const r = await api.post(`/api/orgs/${org.id}/invitations`, { email, role });
      expect(r.status, r.text).toBe(201);
      return r.body.invitation as { id: string; token: string; expiresAt: string };
    };
    const toGrace = await invite(owner.api, grace.user.email, 'member');
    const toBoss = await invite(owner.api, 'boss@example.com', 'owner');
    const toLinus = await invite(admin.api, 'linus@example.com', 'admin');
    // Accepted and expired ones are not pending.
    const used = await s.register();
    const toUsed = await invite(owner.api, used.user.email, 'member');
    expect((await used.api.post(`/api/invitations/${toUsed.token}/accept`)).status).toBe(200);
    const old = await invite(owner.api, 'old@example.com', 'member');
    const db = s.running.core.database.db;
    await db
      .updateTable('invitations')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', old.id)
      .execute();

    const list = await owner.api.get(`/api/orgs/${org.id}/invitations`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { email: string }) => i.email)).toEqual(['linus@example.com', 'boss@example.com', grace.user.email]);
    expect(list.body.items[2]).toEqual({
      id: toGrace.id,
      email: grace.user.email,
      role: 'member',
      expiresAt: toGrace.expiresAt,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(list.text).not.toContain(toGrace.token);
    expect(list.text).not.toMatch(/inv_|token/i);
    expect((await admin.api.get(`/api/orgs/${org.id}/invitations`)).body.items).toHaveLength(3);
    // A member: 403; an outsider: 404; both for listing and revoking, and nothing changes.
    const m = await member.api.get(`/api/orgs/${org.id}/invitations`);
    expect(m.status).toBe(403);
    expect(m.error?.code).toBe('forbidden');
    expect((await outsider.api.get(`/api/orgs/${org.id}/invitations`)).status).toBe(404);
    expect((await del(member.api, `/api/orgs/${org.id}/invitations/${toGrace.id}`)).status).toBe(403);
    expect((await del(outsider.api, `/api/orgs/${org.id}/invitations/${toGrace.id}`)).status).toBe(404);
    // An admin may not revoke an invitation to become an owner (as they may not make one).
    expect((await del(admin.api, `/api/orgs/${org.id}/invitations/${toBoss.id}`)).status).toBe(403);
    expect((await owner.api.get(`/api/orgs/${org.id}/invitations`)).body.items).toHaveLength(3);

    // Revoked: 204, gone from the list, its token is 404 for the invited user; twice is 404.
    const revoked = await del(admin.api, `/api/orgs/${org.id}/invitations/${toGrace.id}`);
    expect(revoked.status, revoked.text).toBe(204);
    expect(revoked.text).toBe('');
    expect((await owner.api.get(`/api/orgs/${org.id}/invitations`)).body.items.map((i: { id: string }) => i.id)).toEqual([
      toLinus.id,
      toBoss.id,
    ]);
    const late = await grace.api.post(`/api/invitations/${toGrace.token}/accept`);
    expect(late.status).toBe(404);
    expect(late.error?.code).toBe('not_found');
    expect((await grace.api.get('/api/accounts')).body.items).toHaveLength(1);
    expect((await del(owner.api, `/api/orgs/${org.id}/invitations/${toGrace.id}`)).status).toBe(404);
    // Accepted, expired, another organisation's: not pending, 404.
    expect((await del(owner.api, `/api/orgs/${org.id}/invitations/${toUsed.id}`)).status).toBe(404);
    expect((await del(owner.api, `/api/orgs/${org.id}/invitations/${old.id}`)).status).toBe(404);
    const other = (await outsider.api.post('/api/orgs', { name: 'Other' })).body.organization;
    const theirs = await outsider.api.post(`/api/orgs/${other.id}/invitations`, { email: 'x@example.com', role: 'member' });
    expect((await del(owner.api, `/api/orgs/${org.id}/invitations/${theirs.body.invitation.id}`)).status).toBe(404);
    expect((await outsider.api.get(`/api/orgs/${other.id}/invitations`)).body.items).toHaveLength(1);
    // The owner revokes the owner invitation; the revocations are audited.
    expect((await del(owner.api, `/api/orgs/${org.id}/invitations/${toBoss.id}`)).status).toBe(204);
    const audit = await db
      .selectFrom('audit_log')
      .select(['actor_id', 'details'])
      .where('target_id', '=', org.id)
      .where('action', '=', 'organization.invitation_revoke')
      .orderBy('created_at')
      .execute();
    expect(audit.map((a) => a.actor_id)).toEqual([admin.user.id, owner.user.id]);
    expect(JSON.stringify(audit[0]?.details)).toContain(toGrace.id);
  });
});
