import type { Kysely } from 'kysely';

/** The outbox of alert deliveries (webhook, email): survives restarts, retried with backoff. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addUniqueConstraint('alert_deliveries_once', ['alert_id', 'channel'])
    .execute();
  await db.schema.createIndex('alert_deliveries_due').on('alert_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('credit_alerts_time').on('credit_alerts').column('created_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('Not reversible.');
}
