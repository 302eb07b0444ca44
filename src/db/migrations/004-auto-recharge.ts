import type { Kysely } from 'kysely';

/** Auto-recharge state per user: armed/fired for the current crossing, and backoff after declines. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('user_settings')
    .addColumn('auto_recharge_fired', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('user_settings')
    .addColumn('auto_recharge_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('user_settings')
    .addColumn('auto_recharge_retry_at', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Not reversible.');
}
