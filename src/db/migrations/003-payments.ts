import type { Kysely } from 'kysely';

/** Disputes on payments: their state, so events arriving in any order end correct. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stripe_payments').addColumn('dispute_status', 'text').execute();
  await db.schema.alterTable('stripe_payments').addColumn('dispute_amount_cents', 'bigint').execute();
  await db.schema.createIndex('stripe_payments_charge').on('stripe_payments').column('stripe_charge_id').execute();
}

export { notReversible as down } from './helpers.js';
