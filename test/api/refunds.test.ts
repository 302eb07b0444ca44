/**
 * Money back, never twice and never more than was granted: a simulated refund retried or
 * doubled (the same Idempotency-Key on two instances at once, or a retry after the reply
 * was lost) refunds once; claw-backs of one payment (refunds plus a lost dispute) never
 * take more than the payment granted, whatever the order and duplication of the events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refundSimulated } from '../../src/core/payments/payment-events.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-standin.js';

type User = Awaited<ReturnType<TestServer['register']>>;

async function clawedBack(s: TestServer, userId: string): Promise<number> {
  const rows = await s.running.core.database.db
    .selectFrom('credit_transactions')
    .select(['amount_mc'])
    .where('user_id', '=', userId)
    .where('type', 'in', ['refund', 'dispute'])
    .execute();
  return -rows.reduce((sum, r) => sum + r.amount_mc, 0);
}

describe.each(await activeDialects())('simulated refunds on %s', (dialect) => {
  let s: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
    // A second instance on the same database (for SQLite: the same file).
    other = await startTestServer(dialect, {}, s);
  });
  afterAll(async () => {
    await other?.stop();
    await s?.stop();
  });

  async function paid(u: User) {
    const buy = await u.api.post('/api/credits/purchase', { packageId: 'pkg_professional' });
    expect(buy.status).toBe(201);
    return buy.body.payment.id as string;
  }

  it('refunds once when the same request reaches two instances at once', async () => {
    const admin = await s.userWithRole('admin');
    const onOther = other.api.withToken(admin.token);
    for (let round = 0; round < 6; round++) {
      const u = await s.register();
      const id = await paid(u);
      const key = { 'idempotency-key': `double-${id}` };
      const [a, b] = await Promise.all([
        admin.api.post(`/api/admin/payments/${id}/refund`, { amountCents: 1500 }, key),
        onOther.post(`/api/admin/payments/${id}/refund`, { amountCents: 1500 }, key),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.body).toEqual(b.body);
      expect(a.body.payment.refundedCents).toBe(1500);
      const p = await s.running.core.database.db.selectFrom('stripe_payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect({ refunded: p.refunded_cents, clawed: p.clawed_back_mc }).toEqual({ refunded: 1500, clawed: 183_333 });
      expect(await clawedBack(s, u.user.id)).toBe(183_333);
    }
  });

  it('without a key: two different refunds at once both apply; the same one twice at once refunds once or, read apart, twice', async () => {
    const admin = await s.userWithRole('admin');
    const onOther = other.api.withToken(admin.token);
    const refunded = async (id: string) =>
      (
        await s.running.core.database.db
          .selectFrom('stripe_payments')
          .select('refunded_cents')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).refunded_cents;
    for (let round = 0; round < 4; round++) {
      const u = await s.register();
      const id = await paid(u);
      // A double click of 15 $ on two instances. Its key is derived from what each request read
      // (as Stripe's is): read before either refunded, one refund; read apart, two. Never more.
      const same = await Promise.all([
        admin.api.post(`/api/admin/payments/${id}/refund`, { amountCents: 1500 }),
        onOther.post(`/api/admin/payments/${id}/refund`, { amountCents: 1500 }),
      ]);
      expect(same.map((r) => r.status)).toEqual([200, 200]);
      const base = await refunded(id);
      expect([1500, 3000]).toContain(base);
      expect(Math.max(...same.map((r) => r.body.payment.refundedCents))).toBe(base);
      expect(await clawedBack(s, u.user.id)).toBe(Math.floor((550_000 * base) / 4500));
      // Two refunds of different amounts at once, on two instances: 1 $ and 2 $, each on top of
      // the other (a target read before the lock made the later refund only the difference).
      const two = await Promise.all([
        admin.api.post(`/api/admin/payments/${id}/refund`, { amountCents: 100 }),
        onOther.post(`/api/admin/payments/${id}/refund`, { amountCents: 200 }),
      ]);
      expect(two.map((r) => r.status)).toEqual([200, 200]);
      expect(await refunded(id)).toBe(base + 300);
      expect(Math.max(...two.map((r) => r.body.payment.refundedCents))).toBe(base + 300);
      // The same amount again, later (the payment read anew): another refund, not a duplicate.
      expect((await admin.api.post(`/api/admin/payments/${id}/refund`, { amountCents: 100 })).body.payment.refundedCents).toBe(base + 400);
      // What remains, at once from both: one refunds it; the other finds nothing left (400) or the same refund made.
      const rest = await Promise.all([
        admin.api.post(`/api/admin/payments/${id}/refund`, {}),
        onOther.post(`/api/admin/payments/${id}/refund`, {}),
      ]);
      expect(rest.every((r) => r.status === 200 || r.status === 400)).toBe(true);
      expect(await refunded(id)).toBe(4500);
      // 550 credits granted, all taken back once.
      expect(await clawedBack(s, u.user.id)).toBe(550_000);
    }
  });

  it('without a key, two refunds that both read the payment before either applied refund once (their derived key)', async () => {
    const admin = await s.userWithRole('admin');
    const u = await s.register();
    const id = await paid(u);
    const core = s.running.core;
    // The writer runs one transaction at a time: hold it while both refunds read the payment.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const held = core.writer.transaction(async () => {
      await gate;
    });
    const both = [refundSimulated(core, id, 1500, admin.user.id), refundSimulated(core, id, 1500, admin.user.id)];
    await new Promise((resolve) => setTimeout(resolve, 200));
    open();
    await held;
    const outcomes = await Promise.all(both);
    expect(outcomes.map((o) => o.payment.refunded_cents)).toEqual([1500, 1500]);
    const p = await core.database.db.selectFrom('stripe_payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(p.refunded_cents).toBe(1500);
    expect(await clawedBack(s, u.user.id)).toBe(183_333);
    const audits = await core.database.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'payment.refund')
      .where('target_id', '=', id)
      .execute();
    expect(audits).toHaveLength(1);
  });

  it('refunds once when a request is retried after its answer was lost', async () => {
    const admin = await s.userWithRole('admin');
    const u = await s.register();
    const id = await paid(u);
    const idem = { scope: admin.user.id, key: 'lost-answer', fingerprint: 'fp-1' };
    // The first attempt commits; its answer never reaches the admin, who sends it again.
    const first = await refundSimulated(s.running.core, id, 1500, admin.user.id, idem);
    const again = await refundSimulated(s.running.core, id, 1500, admin.user.id, idem);
    expect(first.payment.refunded_cents).toBe(1500);
    expect(again.replayed).toBe(true);
    const p = await s.running.core.database.db.selectFrom('stripe_payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(p.refunded_cents).toBe(1500);
    expect(await clawedBack(s, u.user.id)).toBe(183_333);
    // The same key for another refund is a conflict, and moves nothing.
    await expect(refundSimulated(s.running.core, id, 1000, admin.user.id, { ...idem, fingerprint: 'fp-2' })).rejects.toMatchObject({
      code: 'idempotency_conflict',
    });
    expect(await clawedBack(s, u.user.id)).toBe(183_333);
    // Over HTTP the retry answers the stored reply.
    const key = { 'idempotency-key': 'http-retry' };
    const r1 = await admin.api.post(`/api/admin/payments/${id}/refund`, { amountCents: 500 }, key);
    const r2 = await admin.api.post(`/api/admin/payments/${id}/refund`, { amountCents: 500 }, key);
    expect(r1.status).toBe(200);
    expect(r2.headers.get('idempotent-replayed')).toBe('true');
    expect(r2.body).toEqual(r1.body);
    expect(r1.body.payment.refundedCents).toBe(2000);
  });
});

describe.each(await activeDialects())('claw-backs of one payment on %s', (dialect) => {
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

  /** A user (`u`, or a new one) who bought a package (by default the 45 $ one: 500 credits + 50 bonus) through Stripe. */
  async function bought(packageId = 'pkg_professional', u?: User) {
    u ??= await s.register();
    const r = await u.api.post('/api/credits/purchase', { packageId });
    const intentId = [...stripe.intents.values()].find((pi) => (pi.metadata as { paymentId?: string }).paymentId === r.body.payment.id)
      ?.id as string;
    const pi = stripe.succeed(intentId);
    expect((await deliver(stripe.event('payment_intent.succeeded', pi))).status).toBe(200);
    return { u, paymentId: r.body.payment.id as string, intentId, chargeId: String(pi.latest_charge) };
  }

  const dispute = (id: string, chargeId: string, amount: number, status?: string) => ({
    id,
    object: 'dispute',
    amount,
    charge: chargeId,
    ...(status ? { status } : {}),
  });

  it('a partial refund, then a dispute lost for the whole amount: at most what was granted', async () => {
    const { u, chargeId, intentId } = await bought();
    const refunded = stripe.event('charge.refunded', stripe.refund(intentId, 1500));
    await deliver(refunded);
    const d = dispute(`dp_${u.user.id}`, chargeId, 4500);
    await deliver(stripe.event('charge.dispute.created', { ...d, status: 'needs_response' }));
    await deliver(stripe.event('charge.dispute.closed', { ...d, status: 'lost' }));
    await deliver(stripe.event('charge.dispute.closed', { ...d, status: 'lost' }));
    await deliver(refunded);
    expect(await clawedBack(s, u.user.id)).toBe(550_000);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 0, reserved: 0 });
  });

  it("a dispute's hold and its loss take the disputed payment's own credits, not another purchase's bonus", async () => {
    const first = await bought('pkg_starter');
    const { u } = await bought('pkg_business', first.u);
    const d = dispute(`dp_${u.user.id}`, first.chargeId, 1000);
    await deliver(stripe.event('charge.dispute.created', { ...d, status: 'needs_response' }));
    await deliver(stripe.event('charge.dispute.closed', { ...d, status: 'lost' }));
    const grants = await s.running.core.database.db
      .selectFrom('grants')
      .select(['source', 'payment_id', 'remaining_mc', 'value_cents'])
      .where('user_id', '=', u.user.id)
      .orderBy('created_at')
      .execute();
    // The Starter purchase's 100 credits are gone; the Business purchase's 1,000 and its 150 bonus stay.
    expect(grants.map((g) => [g.source, g.payment_id === first.paymentId, g.remaining_mc])).toEqual([
      ['purchase', true, 0],
      ['purchase', false, 1_000_000],
      ['bonus', false, 150_000],
    ]);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 1150, reserved: 0 });
  });

  it('refunds and a lost dispute that together reverse the whole amount take every credit, each having rounded down', async () => {
    // 1000, then 1500 of 4500 refunded (183.333 credits), then 3000 disputed and lost (366.666): 549.999 by shares.
    const { u, chargeId, intentId } = await bought();
    await deliver(stripe.event('charge.refunded', stripe.refund(intentId, 1000)));
    await deliver(stripe.event('charge.refunded', stripe.refund(intentId, 500)));
    const d = dispute(`dp_${u.user.id}`, chargeId, 3000);
    await deliver(stripe.event('charge.dispute.created', { ...d, status: 'needs_response' }));
    await deliver(stripe.event('charge.dispute.closed', { ...d, status: 'lost' }));
    expect(await clawedBack(s, u.user.id)).toBe(550_000);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 0, reserved: 0 });
    // The other order: the dispute lost first, the refunds after it.
    const other = await bought();
    const d2 = dispute(`dp2_${other.u.user.id}`, other.chargeId, 3000);
    await deliver(stripe.event('charge.dispute.closed', { ...d2, status: 'lost' }));
    await deliver(stripe.event('charge.refunded', stripe.refund(other.intentId, 1500)));
    expect(await clawedBack(s, other.u.user.id)).toBe(550_000);
    expect((await other.u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 0, reserved: 0 });
  });

  it('a dispute lost first, then refunds reported: nothing more is taken', async () => {
    const { u, chargeId, intentId } = await bought();
    const d = dispute(`dp_${u.user.id}`, chargeId, 4500);
    await deliver(stripe.event('charge.dispute.closed', { ...d, status: 'lost' }));
    await deliver(stripe.event('charge.refunded', stripe.refund(intentId, 4500)));
    await deliver(stripe.event('charge.dispute.created', { ...d, status: 'needs_response' }));
    expect(await clawedBack(s, u.user.id)).toBe(550_000);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 0, reserved: 0 });
  });

  it('a dispute opened after a full refund holds nothing, and losing it takes nothing', async () => {
    const { u, chargeId, intentId } = await bought();
    await deliver(stripe.event('charge.refunded', stripe.refund(intentId, 4500)));
    const d = dispute(`dp_${u.user.id}`, chargeId, 4500);
    await deliver(stripe.event('charge.dispute.created', { ...d, status: 'needs_response' }));
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 0, reserved: 0 });
    await deliver(stripe.event('charge.dispute.closed', { ...d, status: 'lost' }));
    expect(await clawedBack(s, u.user.id)).toBe(550_000);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 0, reserved: 0 });
  });

  it('a refund while a dispute is open, then the dispute lost: the hold takes only what is left', async () => {
    const { u, chargeId, intentId } = await bought();
    const d = dispute(`dp_${u.user.id}`, chargeId, 3000);
    await deliver(stripe.event('charge.dispute.created', { ...d, status: 'needs_response' }));
    await deliver(stripe.event('charge.refunded', stripe.refund(intentId, 3000)));
    await deliver(stripe.event('charge.dispute.closed', { ...d, status: 'lost' }));
    // 3000/4500 refunded (366.666 credits) and 3000/4500 disputed: only 183.334 remained.
    expect(await clawedBack(s, u.user.id)).toBe(550_000);
    expect((await u.api.get('/api/credits/balance')).body).toMatchObject({ balance: 0, reserved: 0 });
    const p = await s.running.core.database.db
      .selectFrom('stripe_payments')
      .selectAll()
      .where('user_id', '=', u.user.id)
      .executeTakeFirstOrThrow();
    expect(p.status).toBe('disputed');
  });
});
