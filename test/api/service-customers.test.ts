/**
 * Customers of the service API beyond the personal ones (shared/API.md part two): an
 * organisation made or updated with `PUT /api/v1/customers/:externalId` `kind:
 * "organization"` (its owner named with `owner`), usage, batches and holds charged to it with
 * `member` naming who caused them (recorded as theirs, held to their monthly limit), a
 * customer never changing kind (409), and one use-case behind both ways a user is named by
 * the platform: a token with `sub` X and the customer X are one user whichever comes first,
 * and both at once make one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type IdentityProvider, type SigningKey, startIdentityProvider } from '../support/identity-provider.js';
import { type Client, type TestServer, startTestServer } from '../support/server.js';

const AUDIENCE = 'credit-billing-service-customers';
const KEY = 'service-customers-key-0123456789abcdef';

describe.each(await activeDialects())('service API customers on %s', (dialect) => {
  let s: TestServer;
  let idp: IdentityProvider;
  let rsa: SigningKey;
  let svc: Client;
  let n = 0;
  const ext = (what: string) => `${what}|${dialect}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
  const path = (id: string) => `/api/v1/customers/${encodeURIComponent(id)}` as const;
  const db = () => s.running.core.database.db;

  /** A platform user's client (a token with that `sub`); their user is made on first sight. */
  async function platformUser(sub: string, email = `${sub.replace(/[^a-z0-9-]/gi, '')}@platform.example`) {
    const token = await idp.sign(rsa, { sub, email, name: `Name ${sub}` });
    const api = s.api.withToken(token);
    const me = await api.get('/api/auth/me');
    expect(me.status).toBe(200);
    return { api, id: me.body.user.id as string, email };
  }

  beforeAll(async () => {
    idp = await startIdentityProvider(AUDIENCE);
    rsa = await idp.newKey('RS256');
    idp.published = [rsa];
    s = await startTestServer(dialect, {
      SERVICE_API_KEY: KEY,
      AUTH_JWKS_URL: idp.jwksUrl,
      AUTH_ISSUER: idp.issuer,
      AUTH_AUDIENCE: AUDIENCE,
      SIGNUP_BONUS_CREDITS: '5',
    });
    svc = s.api.withToken(KEY);
  });
  afterAll(async () => {
    await s?.stop();
    await idp?.close();
  });

  describe('organisations', () => {
    it('creates (201) then updates (200) an organisation, with its owner, balance and audit', async () => {
      const owner = await platformUser(ext('owner'));
      const id = ext('org');
      const created = await svc.put(path(id), { kind: 'organization', name: 'Acme Recruiting', owner: owner.id });
      expect(created.status).toBe(201);
      expect(created.body.customer).toEqual({
        accountId: expect.stringMatching(/^org_/),
        externalId: id,
        kind: 'organization',
        name: 'Acme Recruiting',
      });
      const orgId = created.body.customer.accountId as string;
      // The owner sees it among their accounts, as its owner, and may manage it.
      const accounts = await owner.api.get('/api/accounts');
      expect(accounts.body.items).toContainEqual({
        id: orgId,
        kind: 'organization',
        name: 'Acme Recruiting',
        role: 'owner',
        externalId: id,
      });
      expect((await owner.api.get(`/api/orgs/${orgId}/members`)).body.items).toEqual([
        expect.objectContaining({ userId: owner.id, role: 'owner', monthlyLimit: null }),
      ]);

      // Without kind, an existing organisation stays one; the name follows.
      const renamed = await svc.put(path(id), { name: 'Acme Talent' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.customer).toEqual({ ...created.body.customer, name: 'Acme Talent' });
      const again = await svc.put(path(id), { kind: 'organization' });
      expect(again.status).toBe(200);
      expect(again.body.customer.name).toBe('Acme Talent');
      const row = await db().selectFrom('accounts').selectAll().where('id', '=', orgId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ kind: 'organization', name: 'Acme Talent', external_id: id });
      // No user was made for it.
      expect(await db().selectFrom('users').select('id').where('external_id', '=', id).execute()).toEqual([]);

      const bal = await svc.get(`${path(id)}/balance`);
      expect(bal.status).toBe(200);
      expect(bal.body).toMatchObject({ balance: 0, reserved: 0, available: 0, unlimited: false });
      await s.grant(orgId, 20);
      expect((await svc.get(`${path(id)}/balance`)).body.balance).toBe(20);

      const audit = await db().selectFrom('audit_log').select(['action', 'details']).where('target_id', '=', orgId).execute();
      expect(audit.map((a) => a.action)).toEqual(['organization.create']);
      expect(JSON.parse(audit[0]?.details as string)).toMatchObject({ ownerId: owner.id, externalId: id, via: 'service_api' });
    });

    it('names the owner by external id, adds or promotes them, and never demotes anyone', async () => {
      const ownerSub = ext('owner');
      const first = await platformUser(ownerSub);
      const id = ext('org');
      const created = await svc.put(path(id), { kind: 'organization', owner: ownerSub });
      expect(created.status).toBe(201);
      // Without a name, the organisation is called by its external id.
      expect(created.body.customer.name).toBe(id);
      const orgId = created.body.customer.accountId as string;
      // A member (by invitation) promoted to owner by the platform; the first owner stays.
      const second = await platformUser(ext('member'));
      const inv = await first.api.post(`/api/orgs/${orgId}/invitations`, { email: second.email, role: 'member' });
      expect(inv.status).toBe(201);
      expect((await second.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
      expect((await svc.put(path(id), { owner: second.id })).status).toBe(200);
      const members = (await first.api.get(`/api/orgs/${orgId}/members`)).body.items as { userId: string; role: string }[];
      expect(members.map((m) => [m.userId, m.role]).sort()).toEqual(
        [
          [first.id, 'owner'],
          [second.id, 'owner'],
        ].sort(),
      );
      // An organisation made without owner has no members, and is still a customer.
      const bare = await svc.put(path(ext('org')), { kind: 'organization', name: 'Bare' });
      expect(bare.status).toBe(201);
      const rows = await db()
        .selectFrom('account_members')
        .select('user_id')
        .where('account_id', '=', bare.body.customer.accountId)
        .execute();
      expect(rows).toEqual([]);
    });

    it('keeps a customer’s kind (409 both ways) and refuses what an organisation cannot have (400), writing nothing', async () => {
      const personal = ext('person');
      expect((await svc.put(path(personal), { name: 'Grace' })).status).toBe(201);
      const toOrg = await svc.put(path(personal), { kind: 'organization' });
      expect(toOrg.status).toBe(409);
      expect(toOrg.error?.code).toBe('conflict');
      expect(toOrg.error?.message).toMatch(/personal/);

      const org = ext('org');
      expect((await svc.put(path(org), { kind: 'organization', name: 'Initech' })).status).toBe(201);
      const toPersonal = await svc.put(path(org), { kind: 'personal', name: 'Changed' });
      expect(toPersonal.status).toBe(409);
      expect(toPersonal.error?.code).toBe('conflict');
      expect(toPersonal.error?.message).toMatch(/organisation/);
      const orgRow = await db().selectFrom('accounts').select(['kind', 'name']).where('external_id', '=', org).executeTakeFirstOrThrow();
      expect(orgRow).toEqual({ kind: 'organization', name: 'Initech' });

      // An organisation made with POST /api/orgs is the same namespace.
      const maker = await platformUser(ext('maker'));
      const viaOrgs = ext('team');
      expect((await maker.api.post('/api/orgs', { name: 'Team', externalId: viaOrgs })).status).toBe(201);
      expect((await svc.put(path(viaOrgs), {})).body.customer).toMatchObject({ kind: 'organization', name: 'Team' });
      expect((await svc.put(path(viaOrgs), { kind: 'personal' })).status).toBe(409);
      // A platform token whose sub an organisation holds is no user: refused, nothing made.
      const clash = await idp.sign(rsa, { sub: viaOrgs, email: 'clash@platform.example' });
      expect((await s.api.withToken(clash).get('/api/auth/me')).status).toBe(409);
      expect(await db().selectFrom('users').select('id').where('external_id', '=', viaOrgs).execute()).toEqual([]);

      const fresh = ext('org');
      const withEmail = await svc.put(path(fresh), { kind: 'organization', email: 'team@example.com' });
      expect(withEmail.status).toBe(400);
      expect(withEmail.error?.code).toBe('validation_error');
      const noOwner = await svc.put(path(fresh), { kind: 'organization', owner: 'nobody-has-this-id' });
      expect(noOwner.status).toBe(400);
      expect(noOwner.error?.code).toBe('validation_error');
      expect(await db().selectFrom('accounts').select('id').where('external_id', '=', fresh).execute()).toEqual([]);
      expect((await svc.put(path(ext('person')), { owner: maker.id })).status).toBe(400);
      expect((await svc.put(path(fresh), { kind: 'team' })).status).toBe(400);
    });

    it('creates one organisation from parallel PUTs', async () => {
      const id = ext('org');
      const rs = await Promise.all([1, 2, 3, 4].map(() => svc.put(path(id), { kind: 'organization', name: 'Racers' })));
      expect(rs.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
      expect(new Set(rs.map((r) => r.body.customer.accountId)).size).toBe(1);
      expect(await db().selectFrom('accounts').select('id').where('external_id', '=', id).execute()).toHaveLength(1);
    });

    it('charges usage, batches and holds to the organisation as the member named, within their limit', async () => {
      const ownerSub = ext('owner');
      const owner = await platformUser(ownerSub);
      const id = ext('org');
      const orgId = (await svc.put(path(id), { kind: 'organization', name: 'Spenders', owner: ownerSub })).body.customer
        .accountId as string;
      const memberSub = ext('member');
      const member = await platformUser(memberSub);
      const inv = await owner.api.post(`/api/orgs/${orgId}/invitations`, { email: member.email, role: 'member' });
      expect((await member.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
      expect((await owner.api.patch(`/api/orgs/${orgId}/members/${member.id}`, { monthlyLimit: 1 })).status).toBe(200);
      await s.grant(orgId, 10);

      // One usage by the member (named by their sub), one by the owner (named by user id).
      const one = await svc.post(
        '/api/v1/usage',
        { customer: id, member: memberSub, operation: 'message', unit: 'per_message', quantity: 1 },
        { 'idempotency-key': `u1-${n}` },
      );
      expect(one.status).toBe(201);
      expect(one.body.credits.balance).toBeCloseTo(9.9, 3);
      const byOwner = await svc.post(
        '/api/v1/usage',
        { customer: id, member: owner.id, operation: 'message', unit: 'per_message', quantity: 2 },
        { 'idempotency-key': `u2-${n}` },
      );
      expect(byOwner.status).toBe(201);
      // A batch: the member's event, one by someone who is not a member, one for an unknown customer.
      const batch = await svc.post('/api/v1/usage/batch', {
        events: [
          { id: `b1-${n}`, customer: id, member: memberSub, operation: 'message', unit: 'per_message', quantity: 3 },
          { id: `b2-${n}`, customer: id, member: 'not-a-member', operation: 'message', unit: 'per_message', quantity: 1 },
          { id: `b3-${n}`, customer: ext('nobody'), operation: 'message', unit: 'per_message', quantity: 1 },
        ],
      });
      expect(batch.status).toBe(200);
      expect(batch.body.results.map((r: { status: string }) => r.status)).toEqual(['charged', 'invalid', 'invalid']);
      // A hold by the member, captured.
      const hold = await svc.post(
        '/api/v1/holds',
        { customer: id, member: memberSub, operation: 'message', unit: 'per_message', quantity: 2 },
        { 'idempotency-key': `h1-${n}` },
      );
      expect(hold.status).toBe(201);
      const captured = await svc.post(`/api/v1/holds/${hold.body.hold.id}/capture`, { quantity: 2 });
      expect(captured.status).toBe(200);
      // The member has spent 0.1 + 0.3 + 0.2 = 0.6 of their 1 credit: 0.5 more is past it, nothing charged.
      const past = await svc.post(
        '/api/v1/usage',
        { customer: id, member: memberSub, operation: 'message', unit: 'per_message', quantity: 5 },
        { 'idempotency-key': `u3-${n}` },
      );
      expect(past.status).toBe(402);
      expect(past.error?.code).toBe('member_limit_exceeded');
      const notMember = await svc.post(
        '/api/v1/usage',
        { customer: id, member: 'not-a-member', operation: 'message', unit: 'per_message', quantity: 1 },
        { 'idempotency-key': `u4-${n}` },
      );
      expect(notMember.status).toBe(400);

      const bal = await svc.get(`${path(id)}/balance`);
      expect(bal.body).toMatchObject({ reserved: 0 });
      expect(bal.body.balance).toBeCloseTo(10 - 0.1 - 0.2 - 0.3 - 0.2, 3);
      // Each charge is recorded as the member's who caused it.
      const rows = await db()
        .selectFrom('credit_transactions')
        .select(['member_id', 'amount_mc', 'type'])
        .where('user_id', '=', orgId)
        .where('type', '=', 'usage')
        .orderBy('seq')
        .execute();
      expect(rows.map((r) => [r.member_id, Number(r.amount_mc)])).toEqual([
        [member.id, -100],
        [owner.id, -200],
        [member.id, -300],
        [member.id, -200],
      ]);
      const members = (await owner.api.get(`/api/orgs/${orgId}/members`)).body.items as { userId: string; usedThisMonth: number }[];
      expect(members.find((m) => m.userId === member.id)?.usedThisMonth).toBeCloseTo(0.6, 3);
      // The members see it in the organisation's history (X-Account).
      const history = await member.api.get('/api/credits/transactions', { 'x-account': orgId });
      expect(history.status).toBe(200);
      expect(history.body.items.filter((t: { type: string }) => t.type === 'usage')).toHaveLength(4);
      expect((await verifyLedger(db(), s.running.core.ledgerKey)).violations).toEqual([]);
    });
  });

  describe('one user per external id, by token or by the service API', () => {
    it('a token first, then PUT: the same user, updated, not made twice', async () => {
      const sub = ext('auth0');
      const u = await platformUser(sub);
      const put = await svc.put(path(sub), { name: 'Renamed By Platform' });
      expect(put.status).toBe(200);
      expect(put.body.customer).toEqual({ accountId: u.id, externalId: sub, kind: 'personal', name: 'Renamed By Platform' });
      expect((await u.api.get('/api/auth/me')).body.user.id).toBe(u.id);
      // The personal account's name follows the user's.
      expect((await u.api.get('/api/accounts')).body.items[0]).toMatchObject({ id: u.id, name: 'Renamed By Platform' });
    });

    it('PUT first, then a token: the token signs in as the customer, with its balance', async () => {
      const sub = ext('auth0');
      const put = await svc.put(path(sub), { name: 'Customer First' });
      expect(put.status).toBe(201);
      await s.grant(put.body.customer.accountId, 7);
      const u = await platformUser(sub);
      expect(u.id).toBe(put.body.customer.accountId);
      const balance = await u.api.get('/api/credits/balance');
      // The sign-up bonus once (5), at the PUT, plus the 7 granted.
      expect(balance.body.balance).toBe(12);
      const bonuses = await db()
        .selectFrom('credit_transactions')
        .select('id')
        .where('user_id', '=', u.id)
        .where('type', '=', 'signup_bonus')
        .execute();
      expect(bonuses).toHaveLength(1);
    });

    it('a first token and a PUT at once make one user with one sign-up bonus', async () => {
      for (let round = 0; round < 3; round++) {
        const sub = ext('race');
        const token = await idp.sign(rsa, { sub, email: `race-${round}-${n}@platform.example` });
        const answers = await Promise.all([
          s.api.withToken(token).get('/api/credits/balance'),
          svc.put(path(sub), { name: 'Racer' }),
          s.api.withToken(token).get('/api/auth/me'),
          svc.put(path(sub), {}),
        ]);
        expect(answers[0]?.status).toBe(200);
        expect([200, 201]).toContain(answers[1]?.status);
        expect(answers[2]?.status).toBe(200);
        expect([200, 201]).toContain(answers[3]?.status);
        const users = await db().selectFrom('users').select('id').where('external_id', '=', sub).execute();
        expect(users).toHaveLength(1);
        const id = users[0]?.id as string;
        expect(answers[1]?.body.customer.accountId).toBe(id);
        expect(answers[2]?.body.user.id).toBe(id);
        const bonuses = await db()
          .selectFrom('credit_transactions')
          .select('id')
          .where('user_id', '=', id)
          .where('type', '=', 'signup_bonus')
          .execute();
        expect(bonuses).toHaveLength(1);
        expect(await db().selectFrom('accounts').select('id').where('external_id', '=', sub).execute()).toEqual([{ id }]);
      }
    });

    it('answers 409 to an email another user holds, before or after the customer exists', async () => {
      const other = await s.register();
      const sub = ext('auth0');
      expect((await svc.put(path(sub), { email: other.user.email })).status).toBe(409);
      expect(await db().selectFrom('users').select('id').where('external_id', '=', sub).execute()).toEqual([]);
      expect((await svc.put(path(sub), { email: `${n}-own@example.com` })).status).toBe(201);
      const taken = await svc.put(path(sub), { email: other.user.email, name: 'Not Applied' });
      expect(taken.status).toBe(409);
      const row = await db().selectFrom('users').select(['email', 'name']).where('external_id', '=', sub).executeTakeFirstOrThrow();
      expect(row.email).toBe(`${n}-own@example.com`);
      expect(row.name).not.toBe('Not Applied');
    });
  });
});
