/**
 * A restore, then Stripe's resent event. The service (SQLite) is backed up; a customer then
 * buys credits and Stripe confirms it. The operator restores the backup (`credits restore`,
 * as docs/operations.md says): the payment, its credits and the event's record are gone.
 * Stripe's event is sent again (the dashboard's "resend"): the payment is rebuilt from its
 * PaymentIntent, re-read from Stripe, and credited once; a second resend and the same fact
 * under another event id change nothing; `credits verify` is clean.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { backupFileName, backupSqlite } from '../../src/db/backup.js';
import { openDatabase } from '../../src/db/open.js';
import { TEST_LEDGER_KEY, testLedgerKey } from '../support/db.js';
import { credits } from '../support/cli.js';
import { Client, type TestServer, startTestServer } from '../support/server.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-standin.js';

describe('a restore of a backup taken before a purchase, then Stripe resends its event (sqlite)', () => {
  let stripe: StripeStandIn;
  let before: TestServer | undefined;
  let beforeRunning = false;
  let after: TestServer | undefined;
  beforeAll(async () => {
    stripe = await startStripeStandIn();
  });
  afterAll(async () => {
    await after?.running.stop();
    if (beforeRunning) await before?.running.stop();
    if (before) rmSync(before.dataDir, { recursive: true, force: true });
    await stripe?.close();
  });

  it('credits the paid customer once', { timeout: 120_000 }, async () => {
    const env = {
      STRIPE_SECRET_KEY: 'sk_test_standin',
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_standin',
      STRIPE_API_BASE: stripe.url,
    };
    before = await startTestServer('sqlite', env);
    beforeRunning = true;
    const u = await before.register();
    const backup = await backupSqlite(join(before.dataDir, 'credits.db'), join(before.dataDir, 'backups', backupFileName(new Date())));

    const r = await u.api.post('/api/credits/purchase', { packageId: 'pkg_professional' });
    expect(r.status).toBe(201);
    const intentId = [...stripe.intents.values()].find((pi) => (pi.metadata as { paymentId?: string }).paymentId === r.body.payment.id)
      ?.id as string;
    const e = stripe.event('payment_intent.succeeded', stripe.succeed(intentId));
    const deliver = (s: TestServer, body: string) =>
      s.api.request('POST', '/api/credits/stripe/webhook', {
        raw: body,
        headers: { 'content-type': 'application/json', 'stripe-signature': stripe.sign(body) },
      });
    expect((await deliver(before, e.body)).body.outcome).toBe('applied');
    expect((await u.api.get('/api/credits/balance')).body.balance).toBe(550);
    await before.running.stop();
    beforeRunning = false;

    const restored = await credits({ DATA_DIR: before.dataDir, LEDGER_KEY: TEST_LEDGER_KEY, DATABASE_URL: '' }, 'restore', backup.path);
    expect(restored.code, restored.stderr).toBe(0);
    after = await startTestServer('sqlite', env, before);
    const client = new Client(after.url, u.token);
    expect((await client.get('/api/credits/balance')).body.balance).toBe(0);
    expect((await client.get('/api/credits/payments')).body.items).toEqual([]);

    // Stripe resends the event: the payment comes back from its intent, with its credits.
    expect((await deliver(after, e.body)).body.outcome).toBe('applied');
    expect((await client.get('/api/credits/balance')).body).toMatchObject({ balance: 550, lifetimePurchased: 550 });
    expect((await client.get('/api/credits/payments')).body.items).toMatchObject([
      { id: r.body.payment.id, status: 'succeeded', amountCents: 4500, credits: 550 },
    ]);
    // Resent again, and the same fact under another event id: nothing more.
    expect((await deliver(after, e.body)).body.outcome).toBe('duplicate');
    expect(
      (await deliver(after, stripe.event('payment_intent.succeeded', stripe.intents.get(intentId) as Record<string, unknown>).body)).status,
    ).toBe(200);
    expect((await client.get('/api/credits/balance')).body.balance).toBe(550);

    await after.running.stop();
    const db = await openDatabase({ sqlitePath: join(before.dataDir, 'credits.db') });
    try {
      expect((await verifyLedger(db.db, testLedgerKey)).violations).toEqual([]);
    } finally {
      await db.close();
    }
    after = undefined;
  });
});
