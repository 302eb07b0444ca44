import { type Kysely, sql } from 'kysely';

/**
 * What a lost dispute took from a payment, beside what its refunds took
 * (`clawed_back_mc`), so the two together are never more than the payment granted.
 * Filled in for disputes already lost: their `dispute` ledger rows reference the
 * payment, or the dispute's hold (`dispute_<payment id>`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('stripe_payments')
    .addColumn('dispute_clawed_mc', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update stripe_payments set dispute_clawed_mc = coalesce((
      select -sum(t.amount_mc) from credit_transactions t
      where t.type = 'dispute' and t.user_id = stripe_payments.user_id
        and ((t.reference_type = 'payment' and t.reference_id = stripe_payments.id)
          or (t.reference_type = 'reservation' and t.reference_id = 'dispute_' || stripe_payments.id))), 0)
    where dispute_status = 'lost'`.execute(db);
}

export { notReversible as down } from './helpers.js';
