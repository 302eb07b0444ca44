/**
 * `credits reconcile --from --to` against the Stripe stand-in, through the SDK's list calls:
 * silent and exit 0 when the database and Stripe agree (payments kept, partly refunded,
 * failed); then, with a difference of each kind planted — a payment Stripe took whose
 * webhook never came, a refund made in Stripe's dashboard, a payment the database lost, a
 * payment the database calls succeeded that Stripe never charged — it prints each one and
 * exits 1; once they are settled (the events resent), exit 0 again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_LEDGER_KEY, TEST_PG_URL, activeDialects } from '../support/db.js';
import { credits } from '../support/cli.js';
import { type TestServer, startTestServer } from '../support/server.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-standin.js';

describe.each(await activeDialects())('credits reconcile on %s', (dialect) => {
  let s: TestServer;
  let stripe: StripeStandIn;
  let env: NodeJS.ProcessEnv;
  const stripeEnv = () => ({
    STRIPE_SECRET_KEY: 'sk_test_standin',
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    STRIPE_PUBLISHABLE_KEY: 'pk_test_standin',
    STRIPE_API_BASE: stripe.url,
  });
  beforeAll(async () => {
    stripe = await startStripeStandIn();
    s = await startTestServer(dialect, stripeEnv());
    env = {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      LEDGER_KEY: TEST_LEDGER_KEY,
      DATA_DIR: s.dataDir,
      DATABASE_URL: dialect === 'postgres' ? `${TEST_PG_URL}?options=${encodeURIComponent(`-c search_path=${s.pgSchema}`)}` : '',
      ...stripeEnv(),
    };
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
  async function buy(packageId = 'pkg_starter') {
    const u = await s.register();
    const r = await u.api.post('/api/credits/purchase', { packageId });
    expect(r.status).toBe(201);
    const intentId = [...stripe.intents.values()].find((pi) => (pi.metadata as { paymentId?: string }).paymentId === r.body.payment.id)
      ?.id as string;
    return { paymentId: r.body.payment.id as string, intentId };
  }
  const today = () => new Date().toISOString().slice(0, 10);
  const reconcile = () => credits(env, 'reconcile', '--from', today(), '--to', today());

  it('says nothing when they agree, names every planted difference with exit 1, and is clean once they are settled', {
    timeout: 180_000,
  }, async () => {
    const kept = await buy('pkg_professional');
    await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(kept.intentId)));
    const refunded = await buy();
    await deliver(stripe.event('payment_intent.succeeded', stripe.succeed(refunded.intentId)));
    await deliver(stripe.event('charge.refunded', stripe.refund(refunded.intentId, 400)));
    const failed = await buy();
    await deliver(stripe.event('payment_intent.payment_failed', stripe.fail(failed.intentId, 'Your card was declined.')));
    await buy(); // pending: the customer never finished

    const clean = await reconcile();
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(
      /Stripe lists 2 succeeded payment\(s\) and 1 refund\(s\); the database has 2 succeeded Stripe payment\(s\)/,
    );
    expect(clean.stdout).toMatch(/no differences/);

    // Planted: a charge whose webhook never came; a refund made in Stripe's dashboard; a payment the
    // database lost (a restore of a backup from before it); a payment the database calls succeeded that Stripe never charged.
    const silent = await buy();
    const silentIntent = stripe.succeed(silent.intentId);
    const outOfBand = stripe.refund(kept.intentId, 1000);
    const lost = await buy();
    const lostIntent = stripe.succeed(lost.intentId);
    const db = s.running.core.database.db;
    await db.deleteFrom('stripe_payments').where('id', '=', lost.paymentId).execute();
    await db.updateTable('stripe_payments').set({ status: 'succeeded' }).where('id', '=', failed.paymentId).execute();

    const found = await reconcile();
    expect(found.code, found.stdout + found.stderr).toBe(1);
    const lines = found.stdout.split('\n').filter((l) => l.startsWith('  '));
    expect(lines).toHaveLength(4);
    const line = (kind: string, intentId: string) => lines.find((l) => l.includes(kind) && l.includes(intentId));
    expect(line('not_credited', silent.intentId)).toContain(silent.paymentId);
    expect(line('refunded', kept.intentId)).toMatch(/Stripe has refunded \$10\.00 .*the database has \$0\.00 refunded/);
    expect(line('missing_in_database', lost.intentId)).toMatch(/no payment for it/);
    expect(line('not_succeeded_in_stripe', failed.intentId)).toMatch(/requires_payment_method/);
    expect(found.stdout).toMatch(/4 difference\(s\)/);

    // Settled: the missing events resent (the lost payment is rebuilt from its intent), the planted status put back.
    await deliver(stripe.event('payment_intent.succeeded', silentIntent));
    await deliver(stripe.event('charge.refunded', outOfBand));
    await deliver(stripe.event('payment_intent.succeeded', lostIntent));
    await db.updateTable('stripe_payments').set({ status: 'failed' }).where('id', '=', failed.paymentId).execute();
    const settled = await reconcile();
    expect(settled.code, settled.stdout).toBe(0);
    expect(settled.stdout).toMatch(
      /Stripe lists 4 succeeded payment\(s\) and 2 refund\(s\); the database has 4 succeeded Stripe payment\(s\)/,
    );
  });

  it('refuses without Stripe, and a range that ends before it starts', async () => {
    const none = await credits(
      { ...env, STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '', STRIPE_PUBLISHABLE_KEY: '' },
      'reconcile',
      '--from',
      today(),
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Stripe is not configured/);
    const backwards = await credits(env, 'reconcile', '--from', '2026-12-02', '--to', '2026-12-01T00:00:00Z');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--to must be after --from/);
    // A range it cannot read is 2 as well (it was commander's 1, which here means differences found).
    const bad = await credits(env, 'reconcile', '--from', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ISO-8601/);
    expect((await credits(env, 'reconcile')).code).toBe(2);
  });
});
