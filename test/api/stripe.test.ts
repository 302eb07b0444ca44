/**
 * Payments with the real `stripe` SDK against a local stand-in, webhooks signed as Stripe
 * signs them: fulfilment once under duplicate concurrent deliveries, events out of order,
 * bad signatures refused with no effect, partial then full refunds, disputes won and lost,
 * admin refunds racing their webhook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-standin.js';

describe.each(await activeDialects())('Stripe payments on %s', (dialect) => {
  let s: TestServer;
  let stripe: StripeStandIn;
  beforeAll(async () => {
    stripe = await startStripeStandIn();
    s = await startTestServer(dialect, {
      STRIPE_SECRET_KEY: 'sk_test_standin',
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_standin',
      STRIPE_API_BASE: stripe.url,
    });
  });
  afterAll(async () => {
    await s?.stop();
    await stripe?.close();
  });

  const deliver = (e: { body: string; signature: string } | { body: string; signature?: string }) =>
    s.api.request('POST', '/api/credits/stripe/webhook', {
      raw: e.body,
      headers: { 'content-type': 'application/json', ...(e.signature ? { 'stripe-signature': e.signature } : {}) },
    });

  async function buy(u: Awaited<ReturnType<TestServer['register']>>, packageId = 'pkg_professional') {
    const r = await u.api.post('/api/credits/purchase', { packageId });
    expect(r.status).toBe(201);
    const intentId = [...stripe.intents.values()].find((pi) => (pi.metadata as { paymentId?: string }).paymentId === r.body.payment.id)
      ?.id as string;
    return { payment: r.body.payment, clientSecret: r.body.clientSecret as string, intentId };
  }
  const balance = async (u: Awaited<ReturnType<TestServer['register']>>) => (await u.api.get('/api/credits/balance')).body;

  it('creates a pending payment and a PaymentIntent; credits come only with the webhook, once', async () => {
    expect((await s.api.get('/api/config')).body).toMatchObject({ paymentsProvider: 'stripe', stripePublishableKey: 'pk_test_standin' });
    const u = await s.register();
    const { payment, clientSecret, intentId } = await buy(u);
    expect(payment).toMatchObject({ status: 'pending', provider: 'stripe', amountCents: 4500, currency: 'usd', credits: 550 });
    expect(clientSecret).toMatch(/^pi_.*_secret_/);
    expect(stripe.intents.get(intentId)).toMatchObject({ amount: 4500, currency: 'usd' });
    expect(stripe.requests.find((r) => r.path === '/v1/payment_intents')?.idempotencyKey).toBe(`payment-intent-${payment.id}`);
    expect((await balance(u)).balance).toBe(0);
    // A second purchase reuses the customer.
    await buy(u, 'pkg_starter');
    expect(stripe.requests.filter((r) => r.path === '/v1/customers' && r.method === 'POST')).toHaveLength(1);

    const pi = stripe.succeed(intentId);
    const e = stripe.event('payment_intent.succeeded', pi);
    const results = await Promise.all(Array.from({ length: 5 }, () => deliver(e)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.filter((r) => r.body.outcome === 'applied')).toHaveLength(1);
    expect(await balance(u)).toMatchObject({ balance: 550, lifetimePurchased: 550 });
    // The same fact under another event id changes nothing either.
    expect((await deliver(stripe.event('payment_intent.succeeded', pi))).status).toBe(200);
    expect((await balance(u)).balance).toBe(550);
    const payments = (await u.api.get('/api/credits/payments')).body.items;
    expect(payments.find((p: { id: string }) => p.id === payment.id)?.status).toBe('succeeded');
    // With Stripe's receipt of the charge; a payment not charged has none.
    const receipt = (stripe.charges.get(String(pi.latest_charge)) as { receipt_url: string }).receipt_url;
    expect(receipt).toMatch(/^https:\/\/pay\.stripe\.com\/receipts\//);
    expect(payments.find((p: { id: string }) => p.id === payment.id)?.receiptUrl).toBe(receipt);
    expect(payments.filter((p) => p.id !== payment.id).map((p) => p.receiptUrl)).toEqual([null]);
    const alerts = (await u.api.get('/api/credits/alerts')).body.items.map((a) => a.type);
    expect(alerts).toContain('purchase_succeeded');
  });

  it("grants a package's credits and bonus expiring the package's days after the webhook applies the payment", async () => {
    const admin = await s.userWithRole('admin');
    const created = await admin.api.post('/api/admin/packages', {
      name: 'Stripe expiring',
      credits: 30,
      bonusCredits: 3,
      priceCents: 700,
      creditsExpireInDays: 60,
      bonusExpireInDays: 14,
    });
    expect(created.status).toBe(201);
    const u = await s.register();
    const { payment, intentId } = await buy(u, created.body.package.id);
    expect((await u.api.get('/api/credits/grants')).body.items).toEqual([]);
    expect((await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(intentId)))).status).toBe(200);
    const grants = (await u.api.get('/api/credits/grants')).body.items as {
      source: string;
      credits: number;
      expiresAt: string;
      createdAt: string;
    }[];
    const bySource = Object.fromEntries(grants.map((g) => [g.source, g]));
    const paidAt = Date.parse(bySource.purchase?.createdAt ?? '');
    // Counted from the fulfilment, not from when the purchase was started.
    const started = (await u.api.get('/api/credits/payments')).body.items.find((p: { id: string }) => p.id === payment.id)!.createdAt;
    expect(paidAt).toBeGreaterThan(Date.parse(started));
    expect(bySource.purchase).toMatchObject({ credits: 30, expiresAt: new Date(paidAt + 60 * 86_400_000).toISOString() });
    expect(bySource.bonus).toMatchObject({ credits: 3, expiresAt: new Date(paidAt + 14 * 86_400_000).toISOString() });
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({
      balance: 33,
      expiringSoon: { credits: 3, at: bySource.bonus?.expiresAt },
    });
  });

  it('refuses missing, forged and stale signatures, with no effect', async () => {
    const u = await s.register();
    const { intentId } = await buy(u);
    const pi = stripe.succeed(intentId);
    const good = stripe.event('payment_intent.succeeded', pi);
    expect((await deliver({ body: good.body })).status).toBe(400);
    expect((await deliver(stripe.event('payment_intent.succeeded', pi, { secret: 'whsec_forged' }))).status).toBe(400);
    expect((await deliver({ body: good.body.replace('4500', '1'), signature: good.signature })).status).toBe(400);
    const stale = stripe.event('payment_intent.succeeded', pi, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const r = await deliver(stale);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_error');
    expect((await balance(u)).balance).toBe(0);
    // Signed, but not an event's shape: 400 with the error body, never a 500.
    for (const body of ['{}', '[]', 'null', JSON.stringify({ id: 'evt_z', type: 'payment_intent.succeeded', data: {} })]) {
      const odd = await deliver({ body, signature: stripe.sign(body) });
      expect(odd.status, body).toBe(400);
      expect(odd.body.error.code).toBe('validation_error');
    }
    expect((await deliver(good)).status).toBe(200);
    expect((await balance(u)).balance).toBe(550);
  });

  it('records a failed payment and alerts', async () => {
    const u = await s.register();
    const { payment, intentId } = await buy(u);
    const pi = stripe.fail(intentId, 'Your card was declined.');
    expect((await deliver(stripe.event('payment_intent.payment_failed', pi))).status).toBe(200);
    const p = (await u.api.get('/api/credits/payments')).body.items.find((x) => x.id === payment.id)!;
    expect(p.status).toBe('failed');
    expect((await u.api.get('/api/credits/alerts')).body.items.map((a) => a.type)).toContain('payment_failed');
  });

  it('takes exactly the refunded share: partial, then full', async () => {
    const u = await s.register();
    const { intentId } = await buy(u);
    await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(intentId)));
    const ch1 = stripe.refund(intentId, 1500);
    const refund1 = stripe.event('charge.refunded', ch1);
    await Promise.all([deliver(refund1), deliver(refund1), deliver(refund1)]);
    expect((await balance(u)).balance).toBe(366.667);
    const ch2 = stripe.refund(intentId, 3000);
    await deliver(stripe.event('charge.refunded', ch2));
    // An old partial-refund event arriving late changes nothing: amounts are re-read from Stripe.
    await deliver(stripe.event('charge.refunded', { ...ch1, amount_refunded: 1500 }));
    expect((await balance(u)).balance).toBe(0);
    const refunds = (await u.api.get('/api/credits/transactions?type=refund')).body.items.map((t) => t.amount);
    expect(refunds).toEqual([-366.667, -183.333]);
  });

  it('handles a refund that arrives before the payment succeeded', async () => {
    const u = await s.register();
    const { intentId } = await buy(u);
    const pi = stripe.succeed(intentId);
    const ch = stripe.refund(intentId, 1500);
    expect((await deliver(stripe.event('charge.refunded', ch))).status).toBe(200);
    expect((await balance(u)).balance).toBe(0);
    await deliver(stripe.event('payment_intent.succeeded', pi));
    expect((await balance(u)).balance).toBe(366.667);
  });

  it('holds disputed credits, then takes them when lost or releases them when won', async () => {
    const lost = await s.register();
    const a = await buy(lost);
    const piA = stripe.succeed(a.intentId);
    await deliver(stripe.event('payment_intent.succeeded', piA));
    const dispute = { id: 'dp_lost', object: 'dispute', amount: 4500, charge: piA.latest_charge, status: 'needs_response' };
    await deliver(stripe.event('charge.dispute.created', dispute));
    expect(await balance(lost)).toMatchObject({ balance: 550, reserved: 550, available: 0 });
    expect((await lost.api.post('/api/messages', { to: 'x', body: 'y' })).status).toBe(402);
    await deliver(stripe.event('charge.dispute.closed', { ...dispute, status: 'lost' }));
    expect(await balance(lost)).toMatchObject({ balance: 0, reserved: 0 });
    expect((await lost.api.get('/api/credits/transactions?type=dispute')).body.items[0]?.amount).toBe(-550);

    const won = await s.register();
    const b = await buy(won);
    const piB = stripe.succeed(b.intentId);
    await deliver(stripe.event('payment_intent.succeeded', piB));
    const d2 = { id: 'dp_won', object: 'dispute', amount: 4500, charge: piB.latest_charge, status: 'needs_response' };
    await deliver(stripe.event('charge.dispute.created', d2));
    await deliver(stripe.event('charge.dispute.closed', { ...d2, status: 'won' }));
    expect(await balance(won)).toMatchObject({ balance: 550, reserved: 0, available: 550 });
  });

  it('ends correct when a dispute closes before Stripe says it opened', async () => {
    const u = await s.register();
    const { intentId } = await buy(u);
    const pi = stripe.succeed(intentId);
    await deliver(stripe.event('payment_intent.succeeded', pi));
    const d = { id: 'dp_early', object: 'dispute', amount: 4500, charge: pi.latest_charge };
    await deliver(stripe.event('charge.dispute.closed', { ...d, status: 'lost' }));
    expect(await balance(u)).toMatchObject({ balance: 0, reserved: 0 });
    await deliver(stripe.event('charge.dispute.created', { ...d, status: 'needs_response' }));
    expect(await balance(u)).toMatchObject({ balance: 0, reserved: 0 });
  });

  it('releases the hold when an inquiry closes without a loss, and takes a lost dispute once', async () => {
    const u = await s.register();
    const { intentId } = await buy(u);
    const pi = stripe.succeed(intentId);
    await deliver(stripe.event('payment_intent.succeeded', pi));
    const d = { id: 'dp_inquiry', object: 'dispute', amount: 4500, charge: pi.latest_charge, status: 'warning_needs_response' };
    await deliver(stripe.event('charge.dispute.created', d));
    expect(await balance(u)).toMatchObject({ reserved: 550 });
    await deliver(stripe.event('charge.dispute.closed', { ...d, status: 'warning_closed' }));
    expect(await balance(u)).toMatchObject({ balance: 550, reserved: 0 });

    const v = await s.register();
    const b = await buy(v);
    const piB = stripe.succeed(b.intentId);
    await deliver(stripe.event('payment_intent.succeeded', piB));
    // Lost before Stripe says it opened: taken once, and a later refund event takes nothing more.
    await deliver(
      stripe.event('charge.dispute.closed', { id: 'dp_once', object: 'dispute', amount: 4500, charge: piB.latest_charge, status: 'lost' }),
    );
    expect((await balance(v)).balance).toBe(0);
    const ch = stripe.charges.get(String(piB.latest_charge)) as Record<string, unknown>;
    await deliver(stripe.event('charge.refunded', ch));
    expect((await balance(v)).balance).toBe(0);
    const p = (await v.api.get('/api/credits/payments')).body.items.find((x) => x.id === b.payment.id)!;
    expect(p.status).toBe('disputed');
    const admin = await s.userWithRole('admin');
    expect((await admin.api.post(`/api/admin/payments/${b.payment.id}/refund`, {})).status).toBe(400);
  });

  it('refunds from the admin page through Stripe, once whichever comes first', async () => {
    const admin = await s.userWithRole('admin');
    const u = await s.register();
    const { payment, intentId } = await buy(u);
    await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(intentId)));
    const key = { 'idempotency-key': `refund-${payment.id}` };
    const [r, dup] = await Promise.all([
      admin.api.post(`/api/admin/payments/${payment.id}/refund`, { amountCents: 2250 }, key),
      admin.api.post(`/api/admin/payments/${payment.id}/refund`, { amountCents: 2250 }, key),
    ]);
    expect(r.status).toBe(200);
    expect(dup.body).toEqual(r.body);
    expect(stripe.requests.filter((x) => x.path === '/v1/refunds')).toHaveLength(1);
    expect(r.body.payment).toMatchObject({ status: 'partially_refunded', refundedCents: 2250 });
    expect((await balance(u)).balance).toBe(275);
    // Stripe's webhook for the same refund arrives afterwards: nothing more is taken.
    const ch = stripe.charges.get(String(stripe.intents.get(intentId)?.latest_charge)) as Record<string, unknown>;
    await deliver(stripe.event('charge.refunded', ch));
    expect((await balance(u)).balance).toBe(275);
    expect((await admin.api.post(`/api/admin/payments/${payment.id}/refund`, { amountCents: 2251 })).status).toBe(400);
  });

  it('rebuilds a succeeded payment the database lost (a restore) from its PaymentIntent, and credits it once', async () => {
    const db = s.running.core.database.db;
    const u = await s.register();
    const { payment, intentId } = await buy(u, 'pkg_professional');
    // What the intent carries: enough to rebuild the payment, written with the secret key.
    expect(stripe.intents.get(intentId)?.metadata).toMatchObject({
      paymentId: payment.id,
      userId: u.user.id,
      packageId: 'pkg_professional',
      creditsMc: '500000',
      bonusMc: '50000',
      priceCents: '4500',
    });
    // A restore of a backup taken before the purchase: the database never saw this payment.
    await db.deleteFrom('stripe_payments').where('id', '=', payment.id).execute();
    const pi = stripe.succeed(intentId);
    // Even an event whose body lies about the amount: the intent is re-read from Stripe.
    const e = stripe.event('payment_intent.succeeded', {
      ...pi,
      amount: 1,
      metadata: { ...(pi.metadata as object), creditsMc: '999999000' },
    });
    expect((await deliver(e)).body).toEqual({ received: true, outcome: 'applied' });
    expect(await balance(u)).toMatchObject({ balance: 550, lifetimePurchased: 550 });
    const rebuilt = (await u.api.get('/api/credits/payments')).body.items.find((x) => x.id === payment.id);
    expect(rebuilt).toMatchObject({
      status: 'succeeded',
      provider: 'stripe',
      amountCents: 4500,
      credits: 550,
      packageId: 'pkg_professional',
    });
    // Stripe resends it, and sends it again under another id: nothing more.
    expect((await deliver({ body: e.body, signature: stripe.sign(e.body) })).body.outcome).toBe('duplicate');
    expect((await deliver(stripe.event('payment_intent.succeeded', pi))).status).toBe(200);
    expect((await balance(u)).balance).toBe(550);
    const audit = await db.selectFrom('audit_log').select(['action', 'target_id']).where('target_id', '=', payment.id).execute();
    expect(audit).toEqual([{ action: 'payment.recovered', target_id: payment.id }]);

    // Lost too, and first heard of through its refund: rebuilt, granted, then the refund's share taken.
    const v = await s.register();
    const b = await buy(v, 'pkg_professional');
    await db.deleteFrom('stripe_payments').where('id', '=', b.payment.id).execute();
    stripe.succeed(b.intentId);
    await deliver(stripe.event('charge.refunded', stripe.refund(b.intentId, 1500)));
    expect((await balance(v)).balance).toBe(366.667);
    await deliver(stripe.event('payment_intent.succeeded', stripe.intents.get(b.intentId) as Record<string, unknown>));
    expect((await balance(v)).balance).toBe(366.667);

    // An organisation's payment keeps its buyer: the intent names the member who paid.
    const owner = await s.register();
    const orgId = (await owner.api.post('/api/orgs', { name: 'Rebuilt Recruiting' })).body.organization.id as string;
    const bought = await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { 'x-account': orgId });
    expect(bought.status).toBe(201);
    const orgIntent = [...stripe.intents.values()].find(
      (pi) => (pi.metadata as { paymentId?: string }).paymentId === bought.body.payment.id,
    );
    expect(orgIntent?.metadata).toMatchObject({ userId: orgId, boughtBy: owner.user.id });
    await db.deleteFrom('stripe_payments').where('id', '=', bought.body.payment.id).execute();
    await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(orgIntent?.id as string)));
    expect((await owner.api.get('/api/credits/balance', { 'x-account': orgId })).body.balance).toBe(100);
    const admin = await s.userWithRole('admin');
    const listed = await admin.api.call('GET /api/admin/payments', { query: { userId: orgId } });
    expect(listed.body.items).toMatchObject([{ id: bought.body.payment.id, userEmail: owner.user.email, accountKind: 'organization' }]);
    // A buyer the database does not hold is left out, the payment still rebuilt.
    const again = await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { 'x-account': orgId });
    const againIntent = [...stripe.intents.values()].find(
      (pi) => (pi.metadata as { paymentId?: string }).paymentId === again.body.payment.id,
    );
    await db.deleteFrom('stripe_payments').where('id', '=', again.body.payment.id).execute();
    (againIntent?.metadata as Record<string, string>).boughtBy = 'usr_gone';
    await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(againIntent?.id as string)));
    expect(
      await db.selectFrom('stripe_payments').select(['status', 'bought_by']).where('id', '=', again.body.payment.id).executeTakeFirst(),
    ).toEqual({ status: 'succeeded', bought_by: null });

    // An intent whose account the database does not hold grants nothing, and says so in the audit log.
    const w = await s.register();
    const c = await buy(w, 'pkg_starter');
    await db.deleteFrom('stripe_payments').where('id', '=', c.payment.id).execute();
    (stripe.intents.get(c.intentId)?.metadata as Record<string, string>).userId = 'usr_not_here';
    expect((await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(c.intentId)))).body.outcome).toBe('ignored');
    expect((await balance(w)).balance).toBe(0);
    const refused = await db.selectFrom('audit_log').select(['action', 'details']).where('target_id', '=', c.payment.id).execute();
    expect(refused).toMatchObject([{ action: 'payment.unrecoverable' }]);
    expect((await verifyLedger(db, s.running.core.ledgerKey)).violations).toEqual([]);
  });

  it('lists the Stripe events received, with what each did, for admins', async () => {
    const u = await s.register();
    const { payment, intentId } = await buy(u, 'pkg_starter');
    const applied = stripe.event('payment_intent.succeeded', stripe.succeed(intentId));
    await deliver(applied);
    await deliver({ body: applied.body, signature: stripe.sign(applied.body) });
    const ignored = stripe.event('customer.updated', { id: 'cus_listed', object: 'customer' });
    await deliver(ignored);
    const unknownIntent = stripe.event('payment_intent.succeeded', { id: 'pi_nobody_knows', object: 'payment_intent' });
    await deliver(unknownIntent);

    expect((await u.api.get('/api/admin/webhook-events')).status).toBe(403);
    const admin = await s.userWithRole('admin');
    const r = await admin.api.call('GET /api/admin/webhook-events', { query: { limit: 200 } });
    expect(r.status).toBe(200);
    const byId = new Map(r.body.items.map((e) => [e.id, e]));
    expect(byId.get(applied.id)).toMatchObject({ type: 'payment_intent.succeeded', outcome: 'applied', paymentId: payment.id });
    expect(byId.get(ignored.id)).toMatchObject({ type: 'customer.updated', outcome: 'ignored', paymentId: null });
    expect(byId.get(unknownIntent.id)).toMatchObject({ outcome: 'ignored', paymentId: null });
    // Received once each, newest first.
    expect(r.body.items.filter((e) => e.id === applied.id)).toHaveLength(1);
    const times = r.body.items.map((e) => Date.parse(e.receivedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(Date.parse(r.body.items[0]?.receivedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);

    // Pages of one walk the same list.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<typeof r> = await admin.api.call('GET /api/admin/webhook-events', {
        query: { limit: 1, ...(cursor ? { cursor } : {}) },
      });
      seen.push(...page.body.items.map((e) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(r.body.items.map((e) => e.id));
  });

  it('ignores unknown events and leaves the ledger verifiable', async () => {
    expect((await deliver(stripe.event('customer.created', { id: 'cus_x', object: 'customer' }))).body).toEqual({
      received: true,
      outcome: 'ignored',
    });
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });
});
