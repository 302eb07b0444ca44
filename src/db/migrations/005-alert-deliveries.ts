import type { Kysely } from 'kysely';
import { DELIVERY_STATE, DELIVERY_TIMES, ID, REQUIRED_TEXT, TEXT, createIndex, defineTable } from './helpers.js';

/** The outbox of alert deliveries (webhook, email): survives restarts, retried with backoff. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await defineTable(db, 'alert_deliveries', {
    columns: {
      id: ID,
      alert_id: REQUIRED_TEXT,
      channel: REQUIRED_TEXT,
      ...DELIVERY_STATE,
      last_error: TEXT,
      ...DELIVERY_TIMES,
    },
    unique: { alert_deliveries_once: ['alert_id', 'channel'] },
    indexes: { alert_deliveries_due: ['status', 'next_attempt_at'] },
  });
  await createIndex(db, 'credit_alerts_time', 'credit_alerts', ['created_at']);
}

export { notReversible as down } from './helpers.js';
