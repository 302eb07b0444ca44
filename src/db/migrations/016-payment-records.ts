import type { Kysely } from 'kysely';
import { createIndex } from './helpers.js';

/**
 * What the admins and the user are shown of payments: each Stripe event received with what
 * it did (`outcome`, and the payment it concerned) and when, listed newest first; the
 * Stripe receipt of a payment's charge.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('processed_events').addColumn('outcome', 'text').execute();
  await db.schema.alterTable('processed_events').addColumn('payment_id', 'text').execute();
  await createIndex(db, 'processed_events_created', 'processed_events', ['created_at', 'id']);
  await db.schema.alterTable('stripe_payments').addColumn('receipt_url', 'text').execute();
}

export { notReversible as down } from './helpers.js';
