import type { Kysely } from 'kysely';

/**
 * Who bought a payment (issue 18): the signed-in user who started the purchase, on a personal
 * account its user, on an organisation the owner or admin who bought for it. Null for the
 * payments made before this migration, for auto-recharge (nobody bought: the saved card did)
 * and for a Stripe payment recovered from its PaymentIntent alone (the webhook before the
 * checkout's row). The admin payments list shows the buyer's email for an organisation's payment.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stripe_payments').addColumn('bought_by', 'text').execute();
}
