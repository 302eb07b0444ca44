/**
 * The admin analytics' money figures against a hand computation: payments, refunds and a
 * lost dispute on different days, each booked on the day it happened (a refund on the
 * refund's day, a lost dispute on the day it was lost, not the payment's), on both databases.
 */
import { describe, expect, it } from 'vitest';
import { createUser } from '../../src/core/accounts/create-user.js';
import { newId } from '../../src/core/ids.js';
import { lockPayment, recordDispute, refundSimulated } from '../../src/core/payments/payment-events.js';
import { activePackage, newPayment, purchaseSimulated } from '../../src/core/payments/purchase-credits.js';
import { getAdminAnalytics } from '../../src/core/reports/get-admin-analytics.js';
import { toAnalytics } from '../../src/server/presenters.js';
import { activeDialects, useTestCore } from '../support/db.js';
import { TEST_PASSWORD } from '../support/factories.js';

const at = (day: number, hour = 12) => Date.UTC(2026, 10, day, hour);

describe.each(await activeDialects())('admin analytics on %s', (dialect) => {
  let clock = at(1);
  const core = useTestCore(dialect, () => clock);

  it('nets refunds and lost disputes on their own days, by day, by package and in total', async () => {
    const db = core.database.db;
    const person = (name: string) =>
      createUser(core.writer, { email: `${name.toLowerCase()}-${newId()}@example.com`, name, password: TEST_PASSWORD, role: 'user' });
    const [admin, alice, bob, carol] = [await person('Admin'), await person('Alice'), await person('Bob'), await person('Carol')];
    const message = (userId: string, n: number) =>
      core.ledger.spend(userId, { operation: 'message', unit: 'per_message', quantityMilli: n * 1000 });
    const dispute = (paymentId: string, state: 'open' | 'lost', cents: number) =>
      core.writer.transaction(async (scope) => {
        const p = await lockPayment(scope, dialect, { id: paymentId });
        if (!p) throw new Error('no payment');
        await recordDispute(scope, p, state, cents, null);
      });

    // 2 Nov: Alice buys Professional ($45.00, 500 + 50 credits), Bob buys Starter ($10.00, 100 credits).
    clock = at(2, 10);
    const p1 = (await purchaseSimulated(core, alice.id, 'pkg_professional', undefined)).payment;
    clock = at(2, 12);
    const p2 = (await purchaseSimulated(core, bob.id, 'pkg_starter', undefined)).payment;
    // 3 Nov: Alice buys Business ($80.00, 1000 + 150 credits) and sends 3 messages (0.1 each); a card is declined.
    clock = at(3, 9);
    const p3 = (await purchaseSimulated(core, alice.id, 'pkg_business', undefined)).payment;
    await message(alice.id, 3);
    const declined = newPayment(
      await activePackage(db, 'pkg_starter'),
      carol.id,
      { id: newId(clock), provider: 'stripe', status: 'failed', kind: 'purchase' },
      clock,
    );
    await core.writer.transaction(({ trx }) => trx.insertInto('stripe_payments').values(declined).execute());
    // 5 Nov: $15.00 of Alice's Professional is refunded; Carol is given 10 credits by an admin (not a sale) and sends 2 messages.
    clock = at(5);
    await refundSimulated(core, p1.id, 1500, admin.id);
    await core.ledger.grant(carol.id, 10_000, 'adjustment');
    await message(carol.id, 2);
    // 6 Nov: a dispute of the whole Business payment opens; Bob sends 5 messages.
    clock = at(6);
    await dispute(p3.id, 'open', 8000);
    await message(bob.id, 5);
    // 8 Nov: the dispute is lost.
    clock = at(8);
    await dispute(p3.id, 'lost', 8000);
    // 9 Nov: Bob's Starter is refunded in full.
    clock = at(9);
    await refundSimulated(core, p2.id, undefined, admin.id);
    clock = at(20);

    const november = toAnalytics(await getAdminAnalytics(db, clock, { from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1) }));
    // By hand:
    //   paid payments: 4500 (2 Nov) + 1000 (2 Nov) + 8000 (3 Nov)        = 13500 cents
    //   refunds:       1500 (5 Nov) + 1000 (9 Nov)                       =  2500 cents
    //   lost disputes: 8000 (8 Nov)                                      =  8000 cents
    //   net revenue:   13500 - 2500 - 8000                               =  3000 cents
    //   credits sold:  550 + 100 + 1150 granted
    //                  - 183.333 (1500/4500 of 550, rounded down to the millicredit)
    //                  - 1150 (the lost dispute) - 100 (Starter refunded in full) = 366.667
    //   credits used:  0.3 (Alice) + 0.2 (Carol) + 0.5 (Bob)             = 1
    expect(november).toMatchObject({
      revenueCents: 3000,
      refundsCents: 2500,
      disputesCents: 8000,
      creditsSold: 366.667,
      creditsUsed: 1,
      activeUsers: 3,
      payments: { succeeded: 3, failed: 1 },
    });
    //   by day: 2 Nov 4500 + 1000 = 5500; 3 Nov 8000; 5 Nov -1500; 8 Nov -8000; 9 Nov -1000; every other day 0.
    const byDay = Object.fromEntries(
      november.series.filter((s) => s.revenueCents !== 0).map((s) => [s.bucket.slice(0, 10), s.revenueCents]),
    );
    expect(byDay).toEqual({ '2026-11-02': 5500, '2026-11-03': 8000, '2026-11-05': -1500, '2026-11-08': -8000, '2026-11-09': -1000 });
    const refundsByDay = Object.fromEntries(
      november.series.filter((s) => s.refundsCents !== 0).map((s) => [s.bucket.slice(0, 10), s.refundsCents]),
    );
    expect(refundsByDay).toEqual({ '2026-11-05': 1500, '2026-11-09': 1000 });
    const disputesByDay = Object.fromEntries(
      november.series.filter((s) => s.disputesCents !== 0).map((s) => [s.bucket.slice(0, 10), s.disputesCents]),
    );
    expect(disputesByDay).toEqual({ '2026-11-08': 8000 });
    expect(november.series).toHaveLength(30);
    expect(november.series.reduce((s, d) => s + d.revenueCents, 0)).toBe(november.revenueCents);
    //   by package: Professional 4500 - 1500 = 3000; Business 8000 - 8000 = 0; Starter 1000 - 1000 = 0 (one payment each).
    expect(november.byPackage).toEqual([
      { packageId: 'pkg_professional', name: 'Professional', payments: 1, revenueCents: 3000 },
      { packageId: 'pkg_business', name: 'Business', payments: 1, revenueCents: 0 },
      { packageId: 'pkg_starter', name: 'Starter', payments: 1, revenueCents: 0 },
    ]);
    //   top accounts by credits used: Bob 0.5, Alice 0.3, Carol 0.2.
    expect(november.topAccounts).toEqual([
      { accountId: bob.id, name: 'Bob', creditsUsed: 0.5 },
      { accountId: alice.id, name: 'Alice', creditsUsed: 0.3 },
      { accountId: carol.id, name: 'Carol', creditsUsed: 0.2 },
    ]);

    // 5 to 8 November (the 9th excluded): no payment was made, but the refund of the 5th and the
    // dispute lost on the 8th are: net revenue -1500 - 8000 = -9500 cents; credits sold
    // -183.333 - 1150 = -1333.333; used: Carol's 0.2 (5 Nov) and Bob's 0.5 (6 Nov).
    const later = toAnalytics(await getAdminAnalytics(db, clock, { from: Date.UTC(2026, 10, 5), to: Date.UTC(2026, 10, 9) }));
    expect(later).toMatchObject({
      revenueCents: -9500,
      refundsCents: 1500,
      disputesCents: 8000,
      creditsSold: -1333.333,
      creditsUsed: 0.7,
      payments: { succeeded: 0, failed: 0 },
    });
    expect(later.byPackage).toEqual([
      { packageId: 'pkg_professional', name: 'Professional', payments: 0, revenueCents: -1500 },
      { packageId: 'pkg_business', name: 'Business', payments: 0, revenueCents: -8000 },
    ]);
    expect(later.topAccounts).toEqual([
      { accountId: bob.id, name: 'Bob', creditsUsed: 0.5 },
      { accountId: carol.id, name: 'Carol', creditsUsed: 0.2 },
    ]);
  });
});
