/**
 * Auto-recharge: once per crossing under parallel debits, a monthly cap, and backoff
 * after a decline (Stripe stand-in, off-session charge of the saved card).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { fulfilmentOp, newPayment } from '../../src/core/payments/purchase-credits.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-standin.js';

async function settle(s: TestServer) {
  for (let i = 0; i < 3; i++) {
    await s.running.core.writer.drain();
    await s.running.services.autoRecharge?.idle();
  }
}

describe.each(await activeDialects())('auto-recharge on %s', (dialect) => {
  let s: TestServer;
  let st: TestServer;
  let stripe: StripeStandIn;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    stripe = await startStripeStandIn();
    st = await startTestServer(dialect, {
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_x',
      STRIPE_API_BASE: stripe.url,
    });
  });
  afterAll(async () => {
    await s?.stop();
    await st?.stop();
    await stripe?.close();
  });

  it('buys the chosen package once per crossing, even under 50 parallel debits', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 20);
    const set = await u.api.put('/api/credits/settings', {
      autoRecharge: { enabled: true, thresholdCredits: 10, packageId: 'pkg_starter' },
    });
    expect(set.status).toBe(200);
    const runs = await Promise.all(Array.from({ length: 50 }, () => u.api.post('/api/workflows/batch/execute', {})));
    expect(runs.every((r) => r.status === 201 || r.status === 402)).toBe(true);
    await settle(s);
    const payments = (await u.api.get('/api/credits/payments')).body.items;
    expect(payments.filter((p) => p.packageId === 'pkg_starter')).toHaveLength(1);
    // Named as the dashboard shows it: the package's name, not its id.
    expect(payments.find((p) => p.packageId === 'pkg_starter')?.packageName).toBe('Starter');
    const ok = runs.filter((r) => r.status === 201).length;
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(Math.round((120 - ok * 0.75) * 1000) / 1000);
    const alerts = (await u.api.get('/api/credits/alerts?limit=200')).body.items.map((a) => a.type);
    expect(alerts.filter((t: string) => t === 'auto_recharge_succeeded')).toHaveLength(1);
    const tx = (await u.api.get('/api/credits/transactions?type=auto_recharge')).body.items;
    expect(tx).toHaveLength(1);
    expect(tx[0]?.amount).toBe(100);
    // Spending below the threshold again is a new crossing: a second recharge.
    const bal = (await u.api.get('/api/credits/balance')).body.available;
    const n = Math.ceil((bal - 10) / 0.75) + 1;
    for (let i = 0; i < n; i++) await u.api.post('/api/workflows/batch/execute', {});
    await settle(s);
    const again = (await u.api.get('/api/credits/payments')).body.items;
    expect(again.filter((p) => p.packageId === 'pkg_starter')).toHaveLength(2);
  });

  it('stops at the monthly cap', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 11);
    await u.api.put('/api/credits/settings', { autoRecharge: { enabled: true, thresholdCredits: 10, packageId: 'pkg_starter' } });
    // Five recharges this month already (made and granted as a recharge is), then spent down to 11 credits again.
    const core = s.running.core;
    const pkg = await core.database.db.selectFrom('credit_packages').selectAll().where('id', '=', 'pkg_starter').executeTakeFirstOrThrow();
    for (let i = 0; i < 5; i++) {
      await core.writer.transaction(async ({ trx, now, apply }) => {
        const payment = newPayment(
          pkg,
          u.user.id,
          { id: `cap-${u.user.id}-${i}`, provider: 'simulated', status: 'succeeded', kind: 'auto_recharge' },
          now,
        );
        await trx.insertInto('stripe_payments').values(payment).execute();
        const [r] = await apply([fulfilmentOp(payment, pkg, now)]);
        if (!r?.ok) throw r?.error;
      });
    }
    await core.ledger.debit(u.user.id, 500_000, 'adjustment');
    await u.api.post('/api/workflows/w/execute', {});
    await u.api.post('/api/workflows/w/execute', {});
    await settle(s);
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(9.5);
    const alerts = (await u.api.get('/api/credits/alerts')).body.items;
    expect(alerts.find((a) => a.type === 'auto_recharge_failed')?.message).toMatch(/limit of 5/);
  });

  it('charges the saved card off-session, and backs off after a decline', async () => {
    const u = await st.register();
    const buy = await u.api.post('/api/credits/purchase', { packageId: 'pkg_professional' });
    const pi = [...stripe.intents.values()].find((x) => (x.metadata as { paymentId?: string }).paymentId === buy.body.payment.id) as Record<
      string,
      unknown
    >;
    const e = stripe.event('payment_intent.succeeded', stripe.succeed(String(pi.id)));
    expect(
      (
        await st.api.request('POST', '/api/credits/stripe/webhook', {
          raw: e.body,
          headers: { 'content-type': 'application/json', 'stripe-signature': e.signature },
        })
      ).status,
    ).toBe(200);
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(550);
    await u.api.put('/api/credits/settings', { autoRecharge: { enabled: true, thresholdCredits: 545, packageId: 'pkg_starter' } });
    stripe.declineNext = 1;
    for (let i = 0; i < 8; i++) await u.api.post('/api/workflows/w/execute', {});
    await settle(st);
    let payments = (await u.api.get('/api/credits/payments')).body.items;
    expect(payments.filter((p) => p.status === 'failed')).toHaveLength(1);
    expect((await u.api.get('/api/credits/alerts')).body.items.map((a) => a.type)).toContain('auto_recharge_failed');
    // Within the backoff, more debits below the threshold do not charge again.
    for (let i = 0; i < 3; i++) await u.api.post('/api/workflows/w/execute', {});
    await settle(st);
    payments = (await u.api.get('/api/credits/payments')).body.items;
    expect(payments.filter((p) => p.packageId === 'pkg_starter')).toHaveLength(1);
    const row = await st.running.core.database.db
      .selectFrom('user_settings')
      .select(['auto_recharge_failures', 'auto_recharge_retry_at'])
      .where('user_id', '=', u.user.id)
      .executeTakeFirstOrThrow();
    expect(row.auto_recharge_failures).toBe(1);
    expect(row.auto_recharge_retry_at).toBeGreaterThan(Date.now() + 14 * 60_000);
    // After the backoff, the next debit charges the card, which now succeeds.
    await st.running.core.database.db
      .updateTable('user_settings')
      .set({ auto_recharge_retry_at: 0 })
      .where('user_id', '=', u.user.id)
      .execute();
    await u.api.post('/api/workflows/w/execute', {});
    await settle(st);
    payments = (await u.api.get('/api/credits/payments')).body.items;
    const succeeded = payments.filter(
      (p: { packageId: string; status: string }) => p.packageId === 'pkg_starter' && p.status === 'succeeded',
    );
    expect(succeeded).toHaveLength(1);
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(550 - 12 * 0.75 + 100);
  });

  it('recharges an organisation, set by an owner (a member may not), with the card of the owner who bought for it', async () => {
    const owner = await st.register();
    const member = await st.register();
    const org = (await owner.api.post('/api/orgs', { name: 'Recharged Team' })).body.organization.id as string;
    const inv = await owner.api.post(`/api/orgs/${org}/invitations`, { email: member.user.email, role: 'member' });
    expect((await member.api.post(`/api/invitations/${inv.body.invitation.token}/accept`)).status).toBe(200);
    const xa = { 'x-account': org };
    // The owner buys for the organisation with a card: their Stripe customer keeps it.
    const buy = await owner.api.post('/api/credits/purchase', { packageId: 'pkg_professional' }, xa);
    expect(buy.status).toBe(201);
    const pi = [...stripe.intents.values()].find((x) => (x.metadata as { paymentId?: string }).paymentId === buy.body.payment.id) as Record<
      string,
      unknown
    >;
    const e = stripe.event('payment_intent.succeeded', stripe.succeed(String(pi.id)));
    const hook = await st.api.request('POST', '/api/credits/stripe/webhook', {
      raw: e.body,
      headers: { 'content-type': 'application/json', 'stripe-signature': e.signature },
    });
    expect(hook.status).toBe(200);
    expect((await owner.api.get('/api/credits/balance', xa)).body.balance).toBe(550);
    const settings = { autoRecharge: { enabled: true, thresholdCredits: 545, packageId: 'pkg_starter' } };
    const refused = await member.api.put('/api/credits/settings', settings, xa);
    expect(refused.status).toBe(403);
    expect((await owner.api.put('/api/credits/settings', settings, xa)).status).toBe(200);
    const customer = await st.running.core.database.db
      .selectFrom('users')
      .select('stripe_customer_id')
      .where('id', '=', owner.user.id)
      .executeTakeFirstOrThrow();
    expect(customer.stripe_customer_id).toBeTruthy();

    // The member spends the organisation below the threshold: one recharge, to the organisation.
    for (let i = 0; i < 8; i++) expect((await member.api.post('/api/workflows/w/execute', {}, xa)).status).toBe(201);
    await settle(st);
    const payments = (await owner.api.get('/api/credits/payments', xa)).body.items as {
      packageId: string;
      status: string;
      boughtBy: unknown;
    }[];
    expect(payments.filter((p) => p.packageId === 'pkg_starter').map((p) => p.status)).toEqual(['succeeded']);
    // Nobody at the keyboard bought the recharge.
    expect(payments.filter((p) => p.packageId === 'pkg_starter').map((p) => p.boughtBy)).toEqual([null]);
    const row = await st.running.core.database.db
      .selectFrom('stripe_payments')
      .select(['user_id', 'kind', 'stripe_payment_intent_id'])
      .where('user_id', '=', org)
      .where('kind', '=', 'auto_recharge')
      .executeTakeFirstOrThrow();
    const intent = stripe.intents.get(String(row.stripe_payment_intent_id)) as Record<string, unknown>;
    expect(intent.customer).toBe(customer.stripe_customer_id);
    expect((await owner.api.get('/api/credits/balance', xa)).body.balance).toBe(550 - 8 * 0.75 + 100);
    expect((await owner.api.get('/api/credits/balance')).body.balance).toBe(0);
    const alerts = (await owner.api.get('/api/credits/alerts', xa)).body.items.map((a: { type: string }) => a.type);
    expect(alerts).toContain('auto_recharge_succeeded');
  });

  it('tells an organisation whose owners have no saved card why it was not recharged, and charges nothing', async () => {
    const owner = await st.register();
    const org = (await owner.api.post('/api/orgs', { name: 'No Card Team' })).body.organization.id as string;
    const xa = { 'x-account': org };
    await st.grant(org, 20);
    expect(
      (
        await owner.api.put(
          '/api/credits/settings',
          { autoRecharge: { enabled: true, thresholdCredits: 19, packageId: 'pkg_starter' } },
          xa,
        )
      ).status,
    ).toBe(200);
    for (let i = 0; i < 2; i++) expect((await owner.api.post('/api/workflows/w/execute', {}, xa)).status).toBe(201);
    await settle(st);
    const payments = (await owner.api.get('/api/credits/payments', xa)).body.items as { status: string }[];
    expect(payments.map((p) => p.status)).toEqual(['failed']);
    const alerts = (await owner.api.get('/api/credits/alerts', xa)).body.items as { type: string; message: string }[];
    expect(alerts.find((a) => a.type === 'auto_recharge_failed')?.message).toMatch(/owner or admin/);
    expect((await owner.api.get('/api/credits/balance', xa)).body.balance).toBe(20 - 2 * 0.75);
  });

  it('never buys with the simulated provider in production', async () => {
    const prod = await startTestServer(dialect, { NODE_ENV: 'production' });
    try {
      const u = await prod.register();
      await prod.grant(u.user.id, 11);
      await u.api.put('/api/credits/settings', { autoRecharge: { enabled: true, thresholdCredits: 10, packageId: 'pkg_starter' } });
      expect((await u.api.post('/api/credits/purchase', { packageId: 'pkg_starter' })).status).toBe(503);
      await u.api.post('/api/workflows/w/execute', {});
      await u.api.post('/api/workflows/w/execute', {});
      await settle(prod);
      expect((await u.api.get('/api/credits/balance')).body.balance).toBe(9.5);
      expect((await u.api.get('/api/credits/payments')).body.items).toEqual([]);
      expect((await u.api.get('/api/credits/alerts')).body.items.map((a) => a.type)).toContain('auto_recharge_failed');
    } finally {
      await prod.stop();
    }
  });

  it('leaves the ledgers verifiable', async () => {
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
    expect((await verifyLedger(st.running.core.database.db, st.running.core.ledgerKey)).violations).toEqual([]);
  });
});
