import type { Kysely } from 'kysely';
import { createIndex } from './helpers.js';

/** Disputes on payments: their state, so events arriving in any order end correct. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stripe_payments').addColumn('dispute_status', 'text').execute();
  await db.schema.alterTable('stripe_payments').addColumn('dispute_amount_cents', 'bigint').execute();
  await createIndex(db, 'stripe_payments_charge', 'stripe_payments', ['stripe_charge_id']);
}

export { notReversible as down } from './helpers.js';
