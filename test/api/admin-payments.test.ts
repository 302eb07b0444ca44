/**
 * Payment monitoring for admins (`GET /api/admin/payments` and its CSV): each row names the
 * payer's email, the Stripe PaymentIntent, the failure reason, the refunded amount and the
 * dispute status; filters by user, status and creation time; the CSV holds every row under
 * the same filters with text cells a spreadsheet will not run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-standin.js';

describe.each(await activeDialects())('admin payment monitoring on %s', (dialect) => {
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

  const deliver = (e: { body: string; signature: string }) =>
    s.api.request('POST', '/api/credits/stripe/webhook', {
      raw: e.body,
      headers: { 'content-type': 'application/json', 'stripe-signature': e.signature },
    });
  async function buy(u: Awaited<ReturnType<TestServer['register']>>, packageId = 'pkg_starter') {
    const r = await u.api.post('/api/credits/purchase', { packageId });
    expect(r.status).toBe(201);
    const intentId = [...stripe.intents.values()].find((pi) => (pi.metadata as { paymentId?: string }).paymentId === r.body.payment.id)
      ?.id as string;
    return { id: r.body.payment.id as string, intentId };
  }

  it('shows the Stripe ids, failure, refund and dispute of each payment, filters them, and exports them as safe CSV', async () => {
    const ada = await s.register({ email: `ada-${Date.now()}@example.com` });
    const bob = await s.register({ email: `bob-${Date.now()}@example.com` });
    const refunded = await buy(ada, 'pkg_professional');
    await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(refunded.intentId)));
    await deliver(stripe.event('charge.refunded', stripe.refund(refunded.intentId, 1500)));
    const disputed = await buy(ada);
    const pi = stripe.succeed(disputed.intentId);
    await deliver(stripe.event('payment_intent.succeeded', pi));
    await deliver(
      stripe.event('charge.dispute.created', {
        id: 'dp_monitor',
        object: 'dispute',
        amount: 1000,
        charge: pi.latest_charge,
        status: 'needs_response',
      }),
    );
    const failed = await buy(bob);
    await deliver(
      stripe.event('payment_intent.payment_failed', stripe.fail(failed.intentId, '=HYPERLINK("http://evil.example","card declined")')),
    );

    const admin = await s.userWithRole('admin');
    expect((await ada.api.get('/api/admin/payments')).status).toBe(403);
    expect((await ada.api.get('/api/admin/payments.csv')).status).toBe(403);
    const all = await admin.api.call('GET /api/admin/payments', { query: { limit: 200 } });
    expect(all.status).toBe(200);
    const row = (id: string) => all.body.items.find((p) => p.id === id);
    expect(row(refunded.id)).toMatchObject({
      userId: ada.user.id,
      userEmail: ada.user.email,
      accountKind: 'personal',
      accountName: ada.user.name,
      status: 'partially_refunded',
      refundedCents: 1500,
      stripePaymentIntentId: refunded.intentId,
      failureReason: null,
      disputeStatus: null,
    });
    expect(row(disputed.id)).toMatchObject({
      userEmail: ada.user.email,
      status: 'disputed',
      disputeStatus: 'open',
      stripePaymentIntentId: disputed.intentId,
    });
    expect(row(failed.id)).toMatchObject({
      userEmail: bob.user.email,
      status: 'failed',
      failureReason: '=HYPERLINK("http://evil.example","card declined")',
      refundedCents: 0,
    });

    // Filters: user, status, creation time (a date-only `to` is that whole day).
    const adas = await admin.api.call('GET /api/admin/payments', { query: { userId: ada.user.id } });
    expect(adas.body.items.map((p) => p.id).sort()).toEqual([refunded.id, disputed.id].sort());
    const bobsFailed = await admin.api.call('GET /api/admin/payments', { query: { userId: bob.user.id, status: 'failed' } });
    expect(bobsFailed.body.items.map((p) => p.id)).toEqual([failed.id]);
    const today = new Date().toISOString().slice(0, 10);
    const inDay = await admin.api.call('GET /api/admin/payments', { query: { userId: ada.user.id, from: today, to: today } });
    expect(inDay.body.items).toHaveLength(2);
    const before = await admin.api.call('GET /api/admin/payments', { query: { userId: ada.user.id, to: '2020-01-01' } });
    expect(before.body.items).toEqual([]);
    const later = await admin.api.call('GET /api/admin/payments', { query: { from: new Date(Date.now() + 3_600_000).toISOString() } });
    expect(later.body.items).toEqual([]);
    expect((await admin.api.get('/api/admin/payments?from=yesterday')).status).toBe(400);
    // Pages of one walk the same rows.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: typeof adas = await admin.api.call('GET /api/admin/payments', {
        query: { userId: ada.user.id, limit: 1, ...(cursor ? { cursor } : {}) },
      });
      seen.push(...page.body.items.map((p) => p.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(adas.body.items.map((p) => p.id));

    // CSV: every row under the filters, formulas neutralised, numbers plain.
    const csv = await admin.api.get(`/api/admin/payments.csv?userId=${encodeURIComponent(bob.user.id)}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).toBe(
      'id,createdAt,userId,userEmail,status,provider,packageId,amountCents,currency,credits,refundedCents,disputeStatus,stripePaymentIntentId,failureReason,receiptUrl,accountKind,accountName',
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,${bob.user.email},failed,stripe,pkg_starter,1000,usd,100,0,,${failed.intentId},`);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example"",""card declined"")"`);
    const everything = await admin.api.get('/api/admin/payments.csv');
    expect(everything.text.trim().split(/\r?\n/)).toHaveLength(all.body.items.length + 1);
    expect(everything.text).toContain(
      `,partially_refunded,stripe,pkg_professional,4500,usd,550,1500,,${refunded.intentId},,https://pay.stripe.com/receipts/`,
    );
  });

  it('lists an organisation’s payments, bought by an owner with X-Account, with the organisation’s name, and in the CSV', async () => {
    const owner = await s.register({ email: `owner-${Date.now()}@example.com` });
    const made = await owner.api.post('/api/orgs', { name: 'Northwind Recruiting' });
    expect(made.status).toBe(201);
    const orgId = made.body.organization.id as string;
    const r = await owner.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, { 'x-account': orgId });
    expect(r.status).toBe(201);
    const intentId = [...stripe.intents.values()].find((pi) => (pi.metadata as { paymentId?: string }).paymentId === r.body.payment.id)
      ?.id as string;
    expect((await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(intentId)))).status).toBe(200);
    // The organisation got the credits, not the owner.
    expect((await owner.api.get('/api/credits/balance', { 'x-account': orgId })).body.balance).toBe(100);

    const admin = await s.userWithRole('admin');
    const all = await admin.api.call('GET /api/admin/payments', { query: { limit: 200 } });
    const row = all.body.items.find((p) => p.id === r.body.payment.id);
    expect(row).toMatchObject({
      userId: orgId,
      // Who bought it: the owner (migration 022).
      userEmail: owner.user.email,
      accountKind: 'organization',
      accountName: 'Northwind Recruiting',
      status: 'succeeded',
      stripePaymentIntentId: intentId,
    });
    const mine = await admin.api.call('GET /api/admin/payments', { query: { userId: orgId } });
    expect(mine.body.items.map((p) => p.id)).toEqual([r.body.payment.id]);

    const csv = await admin.api.get(`/api/admin/payments.csv?userId=${encodeURIComponent(orgId)}`);
    expect(csv.status).toBe(200);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,${orgId},${owner.user.email},succeeded,stripe,pkg_starter,1000,usd,100,0,,${intentId},,`);
    expect(lines[1]?.endsWith(',organization,Northwind Recruiting')).toBe(true);
    const everything = await admin.api.get('/api/admin/payments.csv');
    expect(everything.text.trim().split(/\r?\n/)).toHaveLength(all.body.items.length + 1);
    expect(everything.text).toContain(r.body.payment.id);
  });
});
