import type { Kysely } from 'kysely';
import { BIGINT, ID, REQUIRED_BIGINT, REQUIRED_TEXT, TEXT, createTable, withDefault } from './helpers.js';

/** The outbox of alert deliveries (webhook, email): survives restarts, retried with backoff. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createTable(db, 'alert_deliveries', {
    id: ID,
    alert_id: REQUIRED_TEXT,
    channel: REQUIRED_TEXT,
    status: REQUIRED_TEXT,
    attempts: withDefault('integer', 0),
    next_attempt_at: REQUIRED_BIGINT,
    last_error: TEXT,
    created_at: REQUIRED_BIGINT,
    delivered_at: BIGINT,
  })
    .addUniqueConstraint('alert_deliveries_once', ['alert_id', 'channel'])
    .execute();
  await db.schema.createIndex('alert_deliveries_due').on('alert_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('credit_alerts_time').on('credit_alerts').column('created_at').execute();
}

export { notReversible as down } from './helpers.js';
