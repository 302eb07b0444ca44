import type { Kysely } from 'kysely';
import { BIGINT, ID, INTEGER, REQUIRED_BIGINT, REQUIRED_INTEGER, REQUIRED_TEXT, TEXT, createTable, withDefault } from './helpers.js';

/**
 * Events out: the endpoints admins register, the events (an outbox written in the same
 * transaction as their cause), one delivery per endpoint and event, and each attempt.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createTable(db, 'webhook_endpoints', {
    id: ID,
    url: REQUIRED_TEXT,
    // JSON array of event types.
    events: REQUIRED_TEXT,
    secret: REQUIRED_TEXT,
    enabled: withDefault('integer', 1),
    // 'admin' (made through the API) or 'config' (ALERTS_WEBHOOK_URL).
    source: withDefault('text', 'admin'),
    created_at: REQUIRED_BIGINT,
    updated_at: REQUIRED_BIGINT,
  }).execute();
  await createTable(db, 'events', {
    id: ID,
    type: REQUIRED_TEXT,
    account_id: TEXT,
    data: REQUIRED_TEXT,
    created_at: REQUIRED_BIGINT,
  }).execute();
  await db.schema.createIndex('events_time').on('events').column('created_at').execute();
  await createTable(db, 'webhook_deliveries', {
    id: ID,
    endpoint_id: REQUIRED_TEXT,
    event_id: REQUIRED_TEXT,
    status: REQUIRED_TEXT,
    attempts: withDefault('integer', 0),
    next_attempt_at: REQUIRED_BIGINT,
    last_status_code: INTEGER,
    last_error: TEXT,
    // The lease: when an instance claimed the delivery to attempt it, and its claim's token.
    claimed_at: BIGINT,
    claim_token: TEXT,
    created_at: REQUIRED_BIGINT,
    delivered_at: BIGINT,
  })
    .addUniqueConstraint('webhook_deliveries_once', ['endpoint_id', 'event_id'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'id']).execute();
  await createTable(db, 'webhook_attempts', {
    id: ID,
    delivery_id: REQUIRED_TEXT,
    attempted_at: REQUIRED_BIGINT,
    status_code: INTEGER,
    error: TEXT,
    duration_ms: REQUIRED_INTEGER,
  }).execute();
  await db.schema.createIndex('webhook_attempts_delivery').on('webhook_attempts').columns(['delivery_id', 'attempted_at']).execute();
}

export { notReversible as down } from './helpers.js';
