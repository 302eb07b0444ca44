import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';
import { until } from '../support/poll.js';
import { type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('admin on %s', (dialect) => {
  let s: TestServer;
  let admin: Awaited<ReturnType<TestServer['userWithRole']>>;
  /** The grant a credit's ledger row made. */
  const grantOf = (transactionId: string) =>
    s.running.core.database.db.selectFrom('grants').selectAll().where('transaction_id', '=', transactionId).executeTakeFirstOrThrow();
  let superAdmin: Awaited<ReturnType<TestServer['userWithRole']>>;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    admin = await s.userWithRole('admin');
    superAdmin = await s.userWithRole('super_admin');
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('lists and searches users with balances, and shows one', async () => {
    const u = await s.register({ email: `findme-${Date.now()}@example.com`, name: 'Findable Person' });
    await s.grant(u.user.id, 12.5);
    const list = await admin.api.get('/api/admin/users?search=findme');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ id: u.user.id, balance: 12.5, available: 12.5, lifetimePurchased: 12.5, role: 'user' });
    expect((await admin.api.get('/api/admin/users?search=FINDABLE')).body.items).toHaveLength(1);
    expect((await admin.api.get('/api/admin/users?search=%25')).status).toBe(200);
    const one = await admin.api.get(`/api/admin/users/${u.user.id}`);
    expect(one.body.user.email).toBe(u.user.email);
    expect(one.body.transactions).toHaveLength(1);
    expect((await admin.api.get('/api/admin/users/nobody')).status).toBe(404);
    const page = await admin.api.get('/api/admin/users?limit=1');
    expect(page.body.nextCursor).toEqual(expect.any(String));
  });

  it('shows a user’s usage report, settings, alerts and calls to admins only', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 30);
    expect((await u.api.put('/api/credits/settings', { lowBalanceThreshold: 29.9 })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await u.api.post('/api/messages', { to: '+15551234567', body: `hi ${i}` })).status).toBe(201);
    const call = await u.api.post('/api/vapi/calls', { phoneNumber: '+15551234567', maxDurationSeconds: 120 });
    expect(call.status).toBe(201);
    const day = new Date().toISOString().slice(0, 10);
    const own = await u.api.get(`/api/credits/usage?from=${day}&to=${day}`);
    const seen = await admin.api.get(`/api/admin/users/${u.user.id}/usage?from=${day}&to=${day}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toEqual(own.body);
    expect(seen.body.byOperation.find((o) => o.operation === 'message')).toMatchObject({
      operations: 3,
      credits: 0.3,
    });
    expect((await admin.api.get(`/api/admin/users/${u.user.id}/usage`)).body.series).toHaveLength(30);
    expect((await admin.api.get(`/api/admin/users/${u.user.id}/usage?from=${day}&to=${day}&granularity=hour`)).body.series).toHaveLength(
      24,
    );
    expect((await admin.api.get(`/api/admin/users/${u.user.id}/usage?granularity=week`)).status).toBe(400);
    expect((await admin.api.get('/api/admin/users/nobody/usage')).status).toBe(404);
    // An organisation's account too, by its id.
    const org = (await u.api.post('/api/orgs', { name: 'Reported' })).body.organization;
    await s.grant(org.id, 5);
    expect((await u.api.post('/api/messages', { to: 'x', body: 'y' }, { 'x-account': org.id })).status).toBe(201);
    const orgUsage = await admin.api.get(`/api/admin/users/${org.id}/usage`);
    expect(orgUsage.status).toBe(200);
    expect([orgUsage.body.totalCredits, orgUsage.body.totalOperations]).toEqual([0.1, 1]);
    expect((await u.api.get(`/api/admin/users/${u.user.id}/usage`)).status).toBe(403);
    // The messages took the available credits below 29.9: a low-balance alert (written just after the charge).
    const detail = await until('the low-balance alert on the admin’s page', async () => {
      const d = await admin.api.get(`/api/admin/users/${u.user.id}`);
      return d.body.alerts.some((a) => a.type === 'low_balance') && d;
    });
    expect(detail.body.settings).toMatchObject({ lowBalanceThreshold: 29.9, autoRecharge: { enabled: false } });
    expect(detail.body.calls).toHaveLength(1);
    expect(detail.body.calls[0]).toMatchObject({ id: call.body.call.id, phoneNumber: '+15551234567' });
  });

  it('adjusts credits with a reason, refuses a debit below zero, and audits', async () => {
    const u = await s.register();
    const noReason = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: 5 });
    expect(noReason.status).toBe(400);
    const up = await admin.api.post(
      `/api/admin/users/${u.user.id}/adjustments`,
      { amount: 5, reason: 'goodwill' },
      { 'idempotency-key': 'adj-1' },
    );
    expect(up.status).toBe(201);
    expect(up.body.balance.balance).toBe(5);
    const replay = await admin.api.post(
      `/api/admin/users/${u.user.id}/adjustments`,
      { amount: 5, reason: 'goodwill' },
      { 'idempotency-key': 'adj-1' },
    );
    expect(replay.body).toEqual(up.body);
    const tooMuch = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: -6, reason: 'oops' });
    expect(tooMuch.status).toBe(402);
    const down = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: -1.5, reason: 'correction' });
    expect(down.status).toBe(201);
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(3.5);
    const audit = await admin.api.get('/api/admin/audit?limit=200');
    const entries = audit.body.items.filter((a) => a.targetId === u.user.id && a.action === 'credits.adjust');
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      actorId: admin.user.id,
      actorEmail: admin.user.email,
      actorName: admin.user.name,
      targetType: 'user',
      targetUserId: u.user.id,
      targetEmail: u.user.email,
      targetName: u.user.name,
      details: { amountMc: -1500, reason: 'correction' },
    });
    expect((await admin.api.post('/api/admin/users/nobody/adjustments', { amount: 1, reason: 'x' })).status).toBe(404);

    // A positive adjustment may expire: a grant with that expiry. In the past, or on a debit: 400, nothing written.
    const seq = async () =>
      (await s.running.core.database.db.selectFrom('user_credits').select('seq').where('user_id', '=', u.user.id).executeTakeFirstOrThrow())
        .seq;
    const before = await seq();
    const past = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, {
      amount: 2,
      reason: 'promo',
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(past.status).toBe(400);
    expect(past.error).toMatchObject({ code: 'validation_error' });
    expect(past.error?.details?.fields.map((f: { field: string }) => f.field)).toEqual(['expiresAt']);
    const onDebit = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, {
      amount: -1,
      reason: 'x',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(onDebit.status).toBe(400);
    expect(await seq()).toBe(before);
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const expiring = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: 2, reason: 'promo', expiresAt });
    expect(expiring.status).toBe(201);
    const grant = await grantOf(expiring.body.transaction.id);
    expect(grant).toMatchObject({ source: 'adjustment', credits_mc: 2000, remaining_mc: 2000, expires_at: Date.parse(expiresAt) });
    expect((await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: 0.0001, reason: 'x' })).status).toBe(400);
    expect((await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: 1e12, reason: 'x' })).status).toBe(400);
  });

  it('takes expiresAt: null as absent: credits that never expire, on a user and on an organisation', async () => {
    const u = await s.register();
    const given = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: 3, reason: 'goodwill', expiresAt: null });
    expect(given.status).toBe(201);
    const grant = await grantOf(given.body.transaction.id);
    expect(grant).toMatchObject({ source: 'adjustment', credits_mc: 3000, expires_at: null });
    // On a debit too, as absent is.
    const taken = await admin.api.post(`/api/admin/users/${u.user.id}/adjustments`, { amount: -1, reason: 'correction', expiresAt: null });
    expect(taken.status).toBe(201);
    expect(taken.body.balance).toMatchObject({ balance: 2 });
    const org = (await u.api.post('/api/orgs', { name: 'Never expiring' })).body.organization;
    const toOrg = await admin.api.post(`/api/admin/organizations/${org.id}/adjustments`, {
      amount: 1,
      reason: 'goodwill',
      expiresAt: null,
    });
    expect(toOrg.status).toBe(201);
  });

  it('lets only a super admin grant admin roles', async () => {
    const u = await s.register();
    expect((await admin.api.patch(`/api/admin/users/${u.user.id}`, { role: 'admin' })).status).toBe(403);
    expect((await u.api.get('/api/admin/users')).status).toBe(403);
    const granted = await superAdmin.api.patch(`/api/admin/users/${u.user.id}`, { role: 'admin' });
    expect(granted.status).toBe(200);
    expect(granted.body.user.role).toBe('admin');
    // A role change ends the tokens issued before it (API.md, part two): sign in again.
    expect((await u.api.get('/api/admin/users')).status).toBe(401);
    const signIn = async () => {
      const r = await s.api.post('/api/auth/login', { email: u.user.email, password: TEST_PASSWORD });
      expect(r.status).toBe(200);
      return s.api.withToken(r.body.token);
    };
    const asAdmin = await signIn();
    expect((await asAdmin.get('/api/admin/users')).status).toBe(200);
    expect((await admin.api.patch(`/api/admin/users/${u.user.id}`, { role: 'user' })).status).toBe(403);
    expect((await superAdmin.api.patch(`/api/admin/users/${u.user.id}`, { role: 'user' })).status).toBe(200);
    expect((await asAdmin.get('/api/admin/users')).status).toBe(401);
    expect((await (await signIn()).get('/api/admin/users')).status).toBe(403);
    expect((await superAdmin.api.patch(`/api/admin/users/${u.user.id}`, { role: 'king' })).status).toBe(400);
  });

  it('manages packages without deleting them', async () => {
    const created = await admin.api.post('/api/admin/packages', { name: 'Tiny', credits: 10, priceCents: 150 });
    expect(created.status).toBe(201);
    expect(created.body.package).toMatchObject({
      name: 'Tiny',
      credits: 10,
      bonusCredits: 0,
      priceCents: 150,
      currency: 'usd',
      popular: false,
      active: true,
    });
    const id = created.body.package.id;
    expect((await s.api.get('/api/credits/packages')).body.items.map((p) => p.id)).toContain(id);
    const off = await admin.api.patch(`/api/admin/packages/${id}`, { active: false });
    expect(off.body.package.active).toBe(false);
    expect((await s.api.get('/api/credits/packages')).body.items.map((p) => p.id)).not.toContain(id);
    expect((await admin.api.get('/api/admin/packages')).body.items.map((p) => p.id)).toContain(id);
    const u = await s.register();
    expect((await u.api.post('/api/credits/purchase', { packageId: id })).status).toBe(404);
    expect((await admin.api.post('/api/admin/packages', { name: 'Bad', credits: -1, priceCents: 100 })).status).toBe(400);
    // One currency, usd: revenue, refunds and liability add cents with no currency of their own (until
    // 6 December a eur package's 9 EUR were added to the dollars), and a yen price would be a hundred times off.
    const before = (await s.api.get('/api/credits/packages')).body.items.length;
    for (const currency of ['eur', 'jpy', 'abc', 'USD']) {
      const other = await admin.api.post('/api/admin/packages', { name: 'Other', credits: 10, priceCents: 1000, currency });
      expect([currency, other.status, other.error?.code]).toEqual([currency, 400, 'validation_error']);
    }
    expect(
      (await admin.api.post('/api/admin/packages', { name: 'Euro', credits: 10, priceCents: 900, currency: 'eur' })).error?.message,
    ).toMatch(/must be usd/);
    expect((await s.api.get('/api/credits/packages')).body.items).toHaveLength(before);
    expect((await admin.api.patch(`/api/admin/packages/${id}`, { currency: 'eur' })).status).toBe(400);
    // A eur package left from an earlier release is not sold (listed, bought or auto-recharged); admins still see it.
    const now = Date.now();
    await s.running.core.database.db
      .insertInto('credit_packages')
      .values({
        id: `pkg_eur_${now}`,
        name: 'Old euro',
        credits_mc: 10_000,
        bonus_credits_mc: 0,
        price_cents: 900,
        currency: 'eur',
        popular: 0,
        active: 1,
        credits_expire_in_days: null,
        bonus_expire_in_days: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    expect((await s.api.get('/api/credits/packages')).body.items.map((p) => p.id)).not.toContain(`pkg_eur_${now}`);
    expect((await u.api.post('/api/credits/purchase', { packageId: `pkg_eur_${now}` })).status).toBe(404);
    const autoEur = await u.api.put('/api/credits/settings', {
      autoRecharge: { enabled: true, thresholdCredits: 5, packageId: `pkg_eur_${now}` },
    });
    expect(autoEur.status).toBe(400);
    expect((await admin.api.get('/api/admin/packages')).body.items.map((p) => p.id)).toContain(`pkg_eur_${now}`);
    expect((await admin.api.patch('/api/admin/packages/nope', { active: false })).status).toBe(404);
    // The audit entry of the change names the package, not only its id.
    const audit = (await admin.api.get('/api/admin/audit?limit=200')).body.items;
    const update = audit.find((a) => a.targetId === id && a.action === 'package.update');
    expect(update).toMatchObject({ targetType: 'package', targetName: 'Tiny', targetEmail: null, actorEmail: admin.user.email });
  });

  it('versions a price change and applies it forward only', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 10);
    await u.api.post('/api/messages', { to: 'x', body: 'old price' });
    const rules = (await admin.api.get('/api/admin/pricing')).body.items;
    const msg = rules.find((r) => r.operation === 'message' && r.active)!;
    const changed = await admin.api.patch(`/api/admin/pricing/${msg.id}`, { credits: 0.2 });
    expect(changed.status).toBe(200);
    expect(changed.body.rule).toMatchObject({
      operation: 'message',
      unit: 'per_message',
      credits: 0.2,
      version: msg.version + 1,
      active: true,
    });
    expect(changed.body.rule.id).not.toBe(msg.id);
    const all = (await admin.api.get('/api/admin/pricing')).body.items.filter((r) => r.operation === 'message');
    expect(all.map((r) => r.active).sort()).toEqual([false, true]);
    const publicRules = (await s.api.get('/api/credits/pricing')).body.items.filter(
      (r: { operation: string }) => r.operation === 'message',
    );
    expect(publicRules).toHaveLength(1);
    const r = await u.api.post('/api/messages', { to: 'x', body: 'new price' });
    expect(r.body.credits.charged).toBe(0.2);
    const usage = await s.running.core.database.db
      .selectFrom('usage_tracking')
      .select(['rule_id', 'charged_mc'])
      .where('user_id', '=', u.user.id)
      .orderBy('id')
      .execute();
    expect(usage).toEqual([
      { rule_id: msg.id, charged_mc: 100 },
      { rule_id: changed.body.rule.id, charged_mc: 200 },
    ]);
    // Put it back for the other tests.
    await admin.api.patch(`/api/admin/pricing/${changed.body.rule.id}`, { credits: 0.1 });
    expect((await admin.api.post('/api/admin/pricing', { operation: 'message', unit: 'per_message', credits: 1 })).status).toBe(409);
    const fresh = await admin.api.post('/api/admin/pricing', {
      operation: 'video_render',
      unit: 'per_minute',
      credits: 3,
      description: 'Video',
    });
    expect(fresh.status).toBe(201);
    expect((await admin.api.post('/api/admin/pricing', { operation: 'x', unit: 'per_year', credits: 1 })).status).toBe(400);
  });

  it('refunds a payment (partially, then the rest) and claws back the right credits', async () => {
    const u = await s.register();
    const buy = await u.api.post('/api/credits/purchase', { packageId: 'pkg_professional' });
    const id = buy.body.payment.id;
    const tooMuch = await admin.api.post(`/api/admin/payments/${id}/refund`, { amountCents: 4501 });
    expect(tooMuch.status).toBe(400);
    const part = await admin.api.post(`/api/admin/payments/${id}/refund`, { amountCents: 1500 });
    expect(part.status).toBe(200);
    expect(part.body.payment).toMatchObject({ status: 'partially_refunded', refundedCents: 1500 });
    // 1500/4500 of 550 credits = 183.333 credits (rounded down to the millicredit).
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(366.667);
    const rest = await admin.api.post(`/api/admin/payments/${id}/refund`, {});
    expect(rest.body.payment).toMatchObject({ status: 'refunded', refundedCents: 4500 });
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(0);
    expect((await admin.api.post(`/api/admin/payments/${id}/refund`, {})).status).toBe(400);
    const list = await admin.api.get('/api/admin/payments?status=refunded');
    expect(list.body.items.map((p) => p.id)).toContain(id);
    expect((await admin.api.get('/api/admin/payments?status=lost')).status).toBe(400);
    const refunds = await u.api.get('/api/credits/transactions?type=refund');
    expect(refunds.body.items.map((t) => t.amount)).toEqual([-366.667, -183.333]);
    // The audit log names the admin who refunded and the payer, not only their ids.
    const audit = await admin.api.get('/api/admin/audit?limit=200');
    const refundEntries = audit.body.items.filter((a) => a.targetId === id && a.action === 'payment.refund');
    expect(refundEntries).toHaveLength(2);
    expect(refundEntries[1]).toMatchObject({
      actorEmail: admin.user.email,
      targetType: 'payment',
      targetUserId: u.user.id,
      targetEmail: u.user.email,
      details: { amountCents: 1500 },
    });
  });

  it('reports system analytics', async () => {
    const u = await s.register();
    await u.api.post('/api/credits/purchase', { packageId: 'pkg_starter' });
    const r = await admin.api.get('/api/admin/analytics');
    expect(r.status).toBe(200);
    expect(r.body.revenueCents).toBeGreaterThanOrEqual(1000);
    expect(r.body.payments.succeeded).toBeGreaterThanOrEqual(1);
    expect((await admin.api.get('/api/admin/analytics?from=2025-02-01&to=2025-01-01')).status).toBe(400);
    expect(r.body.creditsUsed).toBeGreaterThan(0);
    expect(r.body.activeUsers).toBeGreaterThan(0);
    expect(r.body.series).toHaveLength(30);
    expect(r.body.byOperation.find((o) => o.operation === 'message')).toBeTruthy();
    // The finance figures (checked against a hand computation in admin-analytics.test.ts).
    expect(r.body).toMatchObject({ refundsCents: expect.any(Number), disputesCents: expect.any(Number) });
    expect(r.body.byPackage.find((p) => p.packageId === 'pkg_starter')).toMatchObject({ name: 'Starter' });
    expect(r.body.topAccounts.length).toBeGreaterThan(0);
    expect(r.body.topAccounts.length).toBeLessThanOrEqual(10);
  });

  it('leaves the ledger verifiable', async () => {
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });
});
