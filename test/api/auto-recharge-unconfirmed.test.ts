/**
 * Auto-recharge when Stripe's answer is lost. The stand-in charges the card and then drops
 * the connection (on every attempt the SDK makes), or answers 500 after charging, or
 * charges but cannot be re-read; or it fails before anything reached it. Only a definite
 * decline may re-arm auto-recharge: an unconfirmed charge keeps the payment pending and is
 * settled by re-reading the intent (reconcile) or by Stripe's webhook, so the card is never
 * charged twice for one crossing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { type StandInFault, type StripeStandIn, startStripeStandIn } from '../support/stripe-standin.js';

const CHARGE = { method: 'POST', path: /^\/v1\/payment_intents$/ };
const RETRIEVE = { method: 'GET', path: /^\/v1\/payment_intents\/[^/]+$/ };

describe.each(await activeDialects())('auto-recharge with an unconfirmed Stripe charge on %s', (dialect) => {
  let s: TestServer;
  let stripe: StripeStandIn;
  beforeAll(async () => {
    stripe = await startStripeStandIn();
    s = await startTestServer(dialect, {
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_x',
      STRIPE_API_BASE: stripe.url,
    });
  });
  afterAll(async () => {
    await s?.stop();
    await stripe?.close();
  });

  async function settle() {
    for (let i = 0; i < 3; i++) {
      await s.running.core.writer.drain();
      await s.running.services.autoRecharge?.idle();
    }
  }
  const deliver = (e: { body: string; signature: string }) =>
    s.api.request('POST', '/api/credits/stripe/webhook', {
      raw: e.body,
      headers: { 'content-type': 'application/json', 'stripe-signature': e.signature },
    });

  /** A customer with a saved card, 550 credits, and auto-recharge below 545. */
  async function customer() {
    const u = await s.register();
    const buy = await u.api.post('/api/credits/purchase', { packageId: 'pkg_professional' });
    const pi = [...stripe.intents.values()].find((x) => (x.metadata as { paymentId?: string }).paymentId === buy.body.payment.id) as Record<
      string,
      unknown
    >;
    await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(String(pi.id))));
    await u.api.put('/api/credits/settings', { autoRecharge: { enabled: true, thresholdCredits: 545, packageId: 'pkg_starter' } });
    const charges = () =>
      [...stripe.intents.values()].filter(
        (x) =>
          (x.metadata as { userId?: string }).userId === u.user.id &&
          (x.metadata as { kind?: string }).kind === 'auto_recharge' &&
          x.status === 'succeeded',
      );
    const recharges = async () => (await u.api.get('/api/credits/payments')).body.items.filter((p) => p.packageId === 'pkg_starter');
    const settings = () =>
      s.running.core.database.db.selectFrom('user_settings').selectAll().where('user_id', '=', u.user.id).executeTakeFirstOrThrow();
    /** Spends below the threshold (again), as if any backoff had passed. */
    const cross = async () => {
      await s.running.core.database.db
        .updateTable('user_settings')
        .set({ auto_recharge_retry_at: 0 })
        .where('user_id', '=', u.user.id)
        .execute();
      const { available } = (await u.api.get('/api/credits/balance')).body;
      const n = Math.max(1, Math.ceil((available - 545) / 0.75) + 1);
      for (let i = 0; i < n; i++) expect((await u.api.post('/api/workflows/w/execute', {})).status).toBe(201);
      await settle();
    };
    return { u, charges, recharges, settings, cross };
  }

  for (const [name, fault] of [
    ['the connection drops after the charge, on every attempt', { ...CHARGE, mode: 'reset', after: true, times: 3 }],
    ['Stripe answers 500 after the charge, on every attempt', { ...CHARGE, mode: '500', after: true, times: 3 }],
    ['the charged intent cannot be re-read', { ...RETRIEVE, mode: '500', after: false, times: 3 }],
  ] as [string, StandInFault][]) {
    it(`${name}: kept pending, never charged again, settled once by re-reading the intent`, { timeout: 60_000 }, async () => {
      const c = await customer();
      stripe.faults.push({ ...fault });
      await c.cross();
      expect(c.charges()).toHaveLength(1);
      expect(await c.recharges()).toMatchObject([{ status: 'pending' }]);
      expect((await c.u.api.get('/api/credits/alerts')).body.items.map((a) => a.type)).not.toContain('auto_recharge_failed');
      expect((await c.settings()).auto_recharge_fired).toBe(1);
      // Later debits, past any backoff: still one charge.
      await c.cross();
      expect(c.charges()).toHaveLength(1);
      expect(await c.recharges()).toHaveLength(1);

      // Reconcile re-reads the intent from Stripe (too early: nothing yet; then once its call is surely over).
      expect(await s.running.services.autoRecharge?.reconcile()).toEqual({ succeeded: 0, failed: 0, pending: 0 });
      expect(await s.running.services.autoRecharge?.reconcile({ olderThanMs: 0 })).toMatchObject({ succeeded: 1 });
      await settle();
      expect(await c.recharges()).toMatchObject([{ status: 'succeeded', amountCents: 1000 }]);
      const balance = (await c.u.api.get('/api/credits/balance')).body.balance;
      expect((await c.u.api.get('/api/credits/transactions?type=auto_recharge')).body.items).toHaveLength(1);
      // Stripe's webhook for the same charge, and another pass: nothing more.
      await deliver(stripe.event('payment_intent.succeeded', c.charges()[0] as Record<string, unknown>));
      expect(await s.running.services.autoRecharge?.reconcile({ olderThanMs: 0 })).toEqual({ succeeded: 0, failed: 0, pending: 0 });
      expect((await c.u.api.get('/api/credits/balance')).body.balance).toBe(balance);
      expect((await c.settings()).auto_recharge_fired).toBe(0);
      expect(stripe.faults.every((f) => f.times === 0)).toBe(true);
    });
  }

  it('an unconfirmed charge is settled by Stripe’s webhook too', { timeout: 60_000 }, async () => {
    const c = await customer();
    stripe.faults.push({ ...CHARGE, mode: 'reset', after: true, times: 3 });
    await c.cross();
    expect(await c.recharges()).toMatchObject([{ status: 'pending' }]);
    expect((await deliver(stripe.event('payment_intent.succeeded', c.charges()[0] as Record<string, unknown>))).body.outcome).toBe(
      'applied',
    );
    expect(await c.recharges()).toMatchObject([{ status: 'succeeded' }]);
    await settle();
    expect((await c.settings()).auto_recharge_fired).toBe(0);
    await c.cross();
    expect(c.charges()).toHaveLength(2);
  });

  it('a charge that never reached Stripe is failed by reconcile, and only then re-armed', { timeout: 60_000 }, async () => {
    const c = await customer();
    stripe.faults.push({ ...CHARGE, mode: '500', after: false, times: 3 });
    await c.cross();
    expect(c.charges()).toHaveLength(0);
    expect(await c.recharges()).toMatchObject([{ status: 'pending' }]);
    await c.cross();
    expect(await c.recharges()).toHaveLength(1);
    expect(await s.running.services.autoRecharge?.reconcile({ olderThanMs: 0 })).toMatchObject({ failed: 1 });
    expect(await c.recharges()).toMatchObject([{ status: 'failed' }]);
    expect((await c.u.api.get('/api/credits/alerts')).body.items.map((a) => a.type)).toContain('auto_recharge_failed');
    expect((await c.settings()).auto_recharge_fired).toBe(0);
    await c.cross();
    expect(c.charges()).toHaveLength(1);
    expect((await c.recharges()).map((p) => p.status).sort()).toEqual(['failed', 'succeeded']);
  });

  it('a definite decline fails at once and re-arms', async () => {
    const c = await customer();
    stripe.declineNext = 1;
    await c.cross();
    expect(await c.recharges()).toMatchObject([{ status: 'failed' }]);
    expect((await c.settings()).auto_recharge_fired).toBe(0);
    expect((await c.settings()).auto_recharge_failures).toBe(1);
  });

  it('leaves the ledger verifiable', async () => {
    expect((await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey)).violations).toEqual([]);
  });
});
