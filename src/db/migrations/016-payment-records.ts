import type { Kysely } from 'kysely';

/**
 * What the admins and the user are shown of payments: each Stripe event received with what
 * it did (`outcome`, and the payment it concerned) and when, listed newest first; the
 * Stripe receipt of a payment's charge.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('processed_events').addColumn('outcome', 'text').execute();
  await db.schema.alterTable('processed_events').addColumn('payment_id', 'text').execute();
  await db.schema.createIndex('processed_events_created').on('processed_events').columns(['created_at', 'id']).execute();
  await db.schema.alterTable('stripe_payments').addColumn('receipt_url', 'text').execute();
}

export { notReversible as down } from './helpers.js';
