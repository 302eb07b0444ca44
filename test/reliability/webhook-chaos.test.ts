/**
 * Stripe webhooks under chaos: every event delivered three times, all shuffled, sixteen at
 * a time, to a server process killed with kill -9 three times mid-stream. Like Stripe, the
 * sender retries every delivery that got no 2xx (signing each attempt anew) until it gets
 * one, against the restarted server. At the end every payment is credited exactly once and
 * every refund clawed back exactly once, on SQLite and Postgres, and the ledger verifies.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects, createTestDb, type TestDb, testLedgerKey } from '../support/db.js';
import { Client, having } from '../support/server.js';
import { databaseEnv, kill9, type ServerProcess, spawnServer } from '../support/spawn-server.js';
import { type StripeStandIn, startStripeStandIn } from '../support/stripe-standin.js';
import { until } from '../support/poll.js';

const USERS = 30;
const COPIES = 3;
const SENDERS = 16;
const KILLS = 3;
/** pkg_professional: 4500 cents for 500 + 50 bonus credits. */
const PRICE_CENTS = 4500;
const PACKAGE_MC = 550_000;

type Fate = 'kept' | 'partial' | 'full_in_two' | 'full';
const FATES: Fate[] = ['kept', 'partial', 'full_in_two', 'full'];
/** What each fate claws back: the refunded share of the package's credits. */
const CLAWBACK_MC: Record<Fate, number> = { kept: 0, partial: 183_333, full_in_two: PACKAGE_MC, full: PACKAGE_MC };
const REFUNDED_CENTS: Record<Fate, number> = { kept: 0, partial: 1500, full_in_two: PRICE_CENTS, full: PRICE_CENTS };

describe.each(await activeDialects())('Stripe webhooks under chaos (%s)', (dialect) => {
  let db: TestDb;
  let stripe: StripeStandIn;
  beforeAll(async () => {
    db = await createTestDb(dialect);
    stripe = await startStripeStandIn();
  });
  afterAll(async () => {
    await stripe?.close();
    await db?.dispose();
  });

  it(`credits every payment and claws back every refund exactly once through ${KILLS} kills`, { timeout: 300_000 }, async () => {
    const env = {
      STRIPE_SECRET_KEY: 'sk_test_standin',
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_PUBLISHABLE_KEY: 'pk_test_standin',
      STRIPE_API_BASE: stripe.url,
      SIGNUP_BONUS_CREDITS: '0',
      ...databaseEnv(db, 4),
    };
    let server: ServerProcess = await spawnServer(env);

    // Thirty users buy two packages each; Stripe then settles each payment to its fate.
    const payments: { userId: string; paymentId: string; intentId: string; fate: Fate }[] = [];
    for (let u = 0; u < USERS; u++) {
      const reg = await new Client(server.url).post('/api/auth/register', {
        email: `chaos${u}@example.com`,
        password: 'chaos-password',
        name: `Chaos ${u}`,
      });
      expect(reg.status).toBe(201);
      const api = new Client(server.url, having(reg.body, 'token').token);
      for (let k = 0; k < 2; k++) {
        const r = await api.post('/api/credits/purchase', { packageId: 'pkg_professional' });
        expect(r.status).toBe(201);
        const intentId = [...stripe.intents.values()].find((pi) => (pi.metadata as { paymentId?: string }).paymentId === r.body.payment.id)
          ?.id as string;
        payments.push({
          userId: having(reg.body, 'token').user.id,
          paymentId: r.body.payment.id,
          intentId,
          fate: FATES[(u * 2 + k) % FATES.length] as Fate,
        });
      }
    }
    const events: { body: string }[] = [];
    for (const p of payments) {
      events.push(stripe.event('payment_intent.succeeded', stripe.succeed(p.intentId)));
      if (p.fate === 'partial') events.push(stripe.event('charge.refunded', stripe.refund(p.intentId, 1500)));
      if (p.fate === 'full_in_two') {
        events.push(stripe.event('charge.refunded', stripe.refund(p.intentId, 1500)));
        events.push(stripe.event('charge.refunded', stripe.refund(p.intentId, 3000)));
      }
      if (p.fate === 'full') events.push(stripe.event('charge.refunded', stripe.refund(p.intentId, PRICE_CENTS)));
    }
    // Every event three times, shuffled: duplicates, reordering (a refund before its payment), concurrency.
    const deliveries = events.flatMap((e) => Array.from({ length: COPIES }, () => e.body));
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j] as string, deliveries[i] as string];
    }

    const total = deliveries.length;
    const statuses = new Map<string, number>();
    let delivered = 0;
    let attempts = 0;
    let restarting: Promise<void> | null = null;
    const queue = [...deliveries];
    const senders = Array.from({ length: SENDERS }, async () => {
      for (;;) {
        const body = queue.shift();
        if (body === undefined) {
          if (delivered === total) return;
          // Idle: look for a delivery to retry again shortly (a sender's loop, not a wait of the test).
          await sleep(10);
          continue;
        }
        if (restarting) await restarting;
        attempts++;
        let status = 'no answer';
        try {
          const r = await fetch(`${server.url}/api/credits/stripe/webhook`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': stripe.sign(body) },
            body,
            signal: AbortSignal.timeout(20_000),
          });
          status = String(r.status);
          await r.arrayBuffer();
        } catch {
          // The server died with this delivery in flight.
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status.startsWith('2')) delivered++;
        else {
          // Stripe retries a delivery that got no 2xx, later.
          queue.push(body);
          await sleep(20);
        }
      }
    });
    // The killer: kill -9 at a quarter, half and three quarters of the stream, then restart.
    for (let k = 1; k <= KILLS; k++) {
      await until(`${k}/${KILLS + 1} of the deliveries`, () => delivered >= (total * k) / (KILLS + 1), 120_000, 1);
      let done!: () => void;
      restarting = new Promise<void>((r) => (done = r));
      await kill9(server.child);
      server = await spawnServer(env);
      restarting = null;
      done();
    }
    await Promise.all(senders);
    await kill9(server.child);

    expect(delivered).toBe(total);
    expect(
      [...statuses.keys()].filter((s) => s !== '200' && s !== '503' && s !== 'no answer'),
      JSON.stringify([...statuses]),
    ).toEqual([]);
    const d = db.database.db;
    for (const p of payments) {
      const row = await d.selectFrom('stripe_payments').selectAll().where('id', '=', p.paymentId).executeTakeFirstOrThrow();
      expect({ id: p.paymentId, fate: p.fate, refunded: row.refunded_cents, clawed: row.clawed_back_mc }).toEqual({
        id: p.paymentId,
        fate: p.fate,
        refunded: REFUNDED_CENTS[p.fate],
        clawed: CLAWBACK_MC[p.fate],
      });
    }
    for (const userId of new Set(payments.map((p) => p.userId))) {
      const mine = payments.filter((p) => p.userId === userId);
      const rows = await d.selectFrom('credit_transactions').select(['type', 'amount_mc']).where('user_id', '=', userId).execute();
      const sum = (types: string[]) => rows.filter((r) => types.includes(r.type)).reduce((a, r) => a + r.amount_mc, 0);
      expect(sum(['purchase', 'bonus']), `user ${userId}: credited once per payment`).toBe(PACKAGE_MC * mine.length);
      expect(sum(['refund']), `user ${userId}: clawed back once per refund`).toBe(-mine.reduce((a, p) => a + CLAWBACK_MC[p.fate], 0));
      const acct = await d.selectFrom('user_credits').select('balance_mc').where('user_id', '=', userId).executeTakeFirstOrThrow();
      expect(acct.balance_mc).toBe(mine.reduce((a, p) => a + PACKAGE_MC - CLAWBACK_MC[p.fate], 0));
    }
    expect((await verifyLedger(d, testLedgerKey)).violations).toEqual([]);
    console.info(
      `[webhook chaos ${dialect}] ${payments.length} payments, ${events.length} events x${COPIES} = ${total} deliveries shuffled, ` +
        `${SENDERS} at a time, ${KILLS} kills: ${attempts} attempts ${JSON.stringify(Object.fromEntries(statuses))}; every payment credited once, every refund clawed back once`,
    );
  });
});
