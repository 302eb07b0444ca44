/**
 * Migration 018 on a database of the release before it: each refunded payment gets one
 * refund row of its refunded amount and each lost dispute one row of its amount, at the
 * time of the payment's last `refund` (or `dispute`) ledger row, so the analytics of past
 * days keep them on the day they happened (both databases).
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { lockPayment, recordDispute, refundSimulated } from '../../src/core/payments/payment-events.js';
import { purchaseSimulated } from '../../src/core/payments/purchase-credits.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { activeDialects, useTestCore } from '../support/db.js';
import { makeUser } from '../support/factories.js';

const at = (day: number) => Date.UTC(2026, 10, day, 12);

describe.each(await activeDialects())('migration 018 (payment reversals) on %s', (dialect) => {
  let clock = at(1);
  const core = useTestCore(dialect, () => clock);

  it('fills in the refunds and lost disputes recorded before it, each at the time of its ledger row', async () => {
    const db = core.database.db;
    const admin = await makeUser(core, { role: 'admin' });
    const u = await makeUser(core);
    clock = at(2);
    const refunded = (await purchaseSimulated(core, u.id, 'pkg_professional', undefined)).payment;
    const disputed = (await purchaseSimulated(core, u.id, 'pkg_starter', undefined)).payment;
    clock = at(4);
    await refundSimulated(core, refunded.id, 1000, admin.id);
    clock = at(5);
    await refundSimulated(core, refunded.id, 500, admin.id);
    clock = at(7);
    await core.writer.transaction(async (scope) => {
      const p = await lockPayment(scope, dialect, { id: disputed.id });
      if (p) await recordDispute(scope, p, 'lost', 1000, null);
    });
    // The database as the release before 018 left it: no payment_reversals, no 018.
    await sql`drop table payment_reversals`.execute(db);
    await sql`drop index credit_transactions_sales`.execute(db);
    await sql`drop index webhook_deliveries_event`.execute(db);
    await sql`delete from kysely_migration where name = '018-payment-reversals'`.execute(db);

    await migrateToLatest(db);
    const rows = await db
      .selectFrom('payment_reversals')
      .select(['payment_id', 'kind', 'amount_cents', 'created_at'])
      .orderBy('created_at')
      .execute();
    expect(rows.map((r) => ({ ...r, amount_cents: Number(r.amount_cents), created_at: Number(r.created_at) }))).toEqual([
      // Two refunds before 018 become one, of the refunded amount, at the last refund's time.
      { payment_id: refunded.id, kind: 'refund', amount_cents: 1500, created_at: at(5) },
      { payment_id: disputed.id, kind: 'dispute_lost', amount_cents: 1000, created_at: at(7) },
    ]);
  });
});
