import { type Kysely, sql } from 'kysely';
import { ID, REQUIRED_BIGINT, REQUIRED_TEXT, createIndex, defineTable } from './helpers.js';

/**
 * When money came back out of a payment, and how much: one row per refund (the increase of
 * the payment's cumulative refunded amount, at the time it was recorded) and one per lost
 * dispute (the disputed amount, when it was lost), so the admin analytics book each on the
 * day it happened, not on the payment's day.
 *
 * Filled in for what earlier releases recorded without a time of its own: a payment's
 * refunded amount as one refund, and a lost dispute, each at the time of the payment's last
 * `refund` (or `dispute`) ledger row, else the payment's last change.
 *
 * Also a partial index of the ledger rows that sell credits or take them back, and an index of the webhook deliveries by event, for the retention job that deletes old
 * delivered events with their deliveries and attempts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await defineTable(db, 'payment_reversals', {
    columns: {
      id: ID,
      payment_id: REQUIRED_TEXT,
      // 'refund' or 'dispute_lost'.
      kind: REQUIRED_TEXT,
      amount_cents: REQUIRED_BIGINT,
      created_at: REQUIRED_BIGINT,
    },
    indexes: { payment_reversals_time: ['created_at', 'payment_id'], payment_reversals_payment: ['payment_id'] },
  });
  const lastRow = (type: string) => sql`(select max(t.created_at) from credit_transactions t
      where t.type = ${type} and t.user_id = stripe_payments.user_id
        and ((t.reference_type = 'payment' and t.reference_id = stripe_payments.id)
          or (t.reference_type = 'reservation' and t.reference_id = 'dispute_' || stripe_payments.id)))`;
  await sql`insert into payment_reversals (id, payment_id, kind, amount_cents, created_at)
    select 'rev_refund_' || id, id, 'refund', refunded_cents, coalesce(${lastRow('refund')}, updated_at)
    from stripe_payments where refunded_cents > 0`.execute(db);
  await sql`insert into payment_reversals (id, payment_id, kind, amount_cents, created_at)
    select 'rev_dispute_' || id, id, 'dispute_lost', coalesce(dispute_amount_cents, amount_cents), coalesce(${lastRow('dispute')}, updated_at)
    from stripe_payments where dispute_status = 'lost'`.execute(db);
  // The ledger rows that sell credits or take them back (few beside the usage rows): the
  // analytics' credits sold, by day, without reading the usage rows.
  await sql`create index credit_transactions_sales on credit_transactions (created_at)
    where type in ('purchase', 'bonus', 'auto_recharge', 'refund', 'dispute')`.execute(db);
  await createIndex(db, 'webhook_deliveries_event', 'webhook_deliveries', ['event_id']);
}

export { notReversible as down } from './helpers.js';
