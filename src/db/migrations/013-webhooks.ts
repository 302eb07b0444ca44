import type { Kysely } from 'kysely';
import {
  BIGINT,
  DELIVERY_STATE,
  DELIVERY_TIMES,
  ID,
  INTEGER,
  REQUIRED_BIGINT,
  REQUIRED_INTEGER,
  REQUIRED_TEXT,
  TEXT,
  TIMESTAMPS,
  defineTables,
  withDefault,
} from './helpers.js';

/**
 * Events out: the endpoints admins register, the events (an outbox written in the same
 * transaction as their cause), one delivery per endpoint and event, and each attempt.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await defineTables(db, {
    webhook_endpoints: {
      columns: {
        id: ID,
        url: REQUIRED_TEXT,
        // JSON array of event types.
        events: REQUIRED_TEXT,
        secret: REQUIRED_TEXT,
        enabled: withDefault('integer', 1),
        // 'admin' (made through the API) or 'config' (ALERTS_WEBHOOK_URL).
        source: withDefault('text', 'admin'),
        ...TIMESTAMPS,
      },
    },
    events: {
      columns: {
        id: ID,
        type: REQUIRED_TEXT,
        account_id: TEXT,
        data: REQUIRED_TEXT,
        created_at: REQUIRED_BIGINT,
      },
      indexes: { events_time: ['created_at'] },
    },
    webhook_deliveries: {
      columns: {
        id: ID,
        endpoint_id: REQUIRED_TEXT,
        event_id: REQUIRED_TEXT,
        ...DELIVERY_STATE,
        last_status_code: INTEGER,
        last_error: TEXT,
        // The lease: when an instance claimed the delivery to attempt it, and its claim's token.
        claimed_at: BIGINT,
        claim_token: TEXT,
        ...DELIVERY_TIMES,
      },
      unique: { webhook_deliveries_once: ['endpoint_id', 'event_id'] },
      indexes: { webhook_deliveries_due: ['status', 'next_attempt_at'], webhook_deliveries_endpoint: ['endpoint_id', 'id'] },
    },
    webhook_attempts: {
      columns: {
        id: ID,
        delivery_id: REQUIRED_TEXT,
        attempted_at: REQUIRED_BIGINT,
        status_code: INTEGER,
        error: TEXT,
        duration_ms: REQUIRED_INTEGER,
      },
      indexes: { webhook_attempts_delivery: ['delivery_id', 'attempted_at'] },
    },
  });
}

export { notReversible as down } from './helpers.js';
