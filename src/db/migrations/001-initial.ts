import { type Kysely, sql } from 'kysely';
import {
  BIGINT,
  ID,
  REQUIRED_BIGINT,
  REQUIRED_INTEGER,
  REQUIRED_TEXT,
  TEXT,
  UNIQUE_TEXT,
  checked,
  createTable,
  requiredReference,
  withDefault,
} from './helpers.js';

/** The seed's seven tables and what a real ledger needs beside them. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createTable(db, 'users', {
    id: ID,
    email: UNIQUE_TEXT,
    name: REQUIRED_TEXT,
    password_hash: REQUIRED_TEXT,
    role: checked('text', sql`role in ('user','admin','super_admin')`),
    stripe_customer_id: TEXT,
    created_at: REQUIRED_BIGINT,
    updated_at: REQUIRED_BIGINT,
  }).execute();

  await createTable(db, 'credit_packages', {
    id: ID,
    name: REQUIRED_TEXT,
    credits_mc: checked('bigint', sql`credits_mc > 0`),
    bonus_credits_mc: ['bigint', (c) => c.notNull().defaultTo(0).check(sql`bonus_credits_mc >= 0`)],
    price_cents: checked('bigint', sql`price_cents > 0`),
    currency: withDefault('text', 'usd'),
    popular: withDefault('integer', 0),
    active: withDefault('integer', 1),
    created_at: REQUIRED_BIGINT,
    updated_at: REQUIRED_BIGINT,
  }).execute();

  await createTable(db, 'user_credits', {
    user_id: ['text', (c) => c.primaryKey().references('users.id')],
    balance_mc: withDefault('bigint', 0),
    reserved_mc: ['bigint', (c) => c.notNull().defaultTo(0).check(sql`reserved_mc >= 0`)],
    available_mc: ['bigint', (c) => c.generatedAlwaysAs(sql`balance_mc - reserved_mc`).stored()],
    lifetime_purchased_mc: withDefault('bigint', 0),
    lifetime_used_mc: withDefault('bigint', 0),
    seq: withDefault('bigint', 0),
    last_hash: REQUIRED_TEXT,
    updated_at: REQUIRED_BIGINT,
  }).execute();

  await createTable(db, 'credit_transactions', {
    id: ID,
    user_id: requiredReference('users.id'),
    seq: REQUIRED_BIGINT,
    type: REQUIRED_TEXT,
    amount_mc: REQUIRED_BIGINT,
    reserved_change_mc: REQUIRED_BIGINT,
    balance_after_mc: REQUIRED_BIGINT,
    reserved_after_mc: REQUIRED_BIGINT,
    description: REQUIRED_TEXT,
    metadata: TEXT,
    reference_type: TEXT,
    reference_id: TEXT,
    idempotency_key: TEXT,
    prev_hash: REQUIRED_TEXT,
    hash: REQUIRED_TEXT,
    created_at: REQUIRED_BIGINT,
  })
    .addUniqueConstraint('credit_transactions_user_seq', ['user_id', 'seq'])
    .execute();
  await db.schema.createIndex('credit_transactions_user_time').on('credit_transactions').columns(['user_id', 'created_at']).execute();
  await db.schema
    .createIndex('credit_transactions_reference')
    .on('credit_transactions')
    .columns(['reference_type', 'reference_id'])
    .execute();

  await createTable(db, 'credit_pricing', {
    id: ID,
    operation: REQUIRED_TEXT,
    unit: REQUIRED_TEXT,
    credits_mc: checked('bigint', sql`credits_mc >= 0`),
    description: withDefault('text', ''),
    version: REQUIRED_INTEGER,
    active: withDefault('integer', 1),
    supersedes_id: TEXT,
    created_at: REQUIRED_BIGINT,
  }).execute();
  // One active version per (operation, unit).
  await db.schema
    .createIndex('credit_pricing_active_rule')
    .on('credit_pricing')
    .columns(['operation', 'unit'])
    .unique()
    .where(sql.ref('active'), '=', 1)
    .execute();

  await createTable(db, 'usage_tracking', {
    id: ID,
    user_id: requiredReference('users.id'),
    operation: REQUIRED_TEXT,
    unit: REQUIRED_TEXT,
    quantity_milli: REQUIRED_BIGINT,
    cost_mc: REQUIRED_BIGINT,
    charged_mc: REQUIRED_BIGINT,
    rule_id: TEXT,
    rule_credits_mc: REQUIRED_BIGINT,
    bypass: withDefault('integer', 0),
    transaction_id: TEXT,
    reservation_id: TEXT,
    metadata: TEXT,
    created_at: REQUIRED_BIGINT,
  }).execute();
  await db.schema.createIndex('usage_tracking_user_time').on('usage_tracking').columns(['user_id', 'created_at']).execute();

  await createTable(db, 'usage_rollups', {
    user_id: REQUIRED_TEXT,
    bucket: REQUIRED_BIGINT,
    operation: REQUIRED_TEXT,
    unit: REQUIRED_TEXT,
    credits_mc: REQUIRED_BIGINT,
    operations: REQUIRED_BIGINT,
    quantity_milli: REQUIRED_BIGINT,
  })
    .addPrimaryKeyConstraint('usage_rollups_pk', ['user_id', 'bucket', 'operation', 'unit'])
    .execute();
  await db.schema.createIndex('usage_rollups_bucket').on('usage_rollups').column('bucket').execute();

  await createTable(db, 'stripe_payments', {
    id: ID,
    user_id: requiredReference('users.id'),
    package_id: requiredReference('credit_packages.id'),
    provider: REQUIRED_TEXT,
    status: REQUIRED_TEXT,
    kind: withDefault('text', 'purchase'),
    amount_cents: REQUIRED_BIGINT,
    currency: REQUIRED_TEXT,
    credits_mc: REQUIRED_BIGINT,
    bonus_credits_mc: REQUIRED_BIGINT,
    stripe_payment_intent_id: ['text', (c) => c.unique()],
    stripe_charge_id: TEXT,
    refunded_cents: withDefault('bigint', 0),
    clawed_back_mc: withDefault('bigint', 0),
    disputed_mc: withDefault('bigint', 0),
    failure_message: TEXT,
    created_at: REQUIRED_BIGINT,
    updated_at: REQUIRED_BIGINT,
  }).execute();
  await db.schema.createIndex('stripe_payments_user').on('stripe_payments').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('stripe_payments_status').on('stripe_payments').columns(['status', 'id']).execute();

  await createTable(db, 'credit_alerts', {
    id: ID,
    user_id: requiredReference('users.id'),
    type: REQUIRED_TEXT,
    message: REQUIRED_TEXT,
    read: withDefault('integer', 0),
    metadata: TEXT,
    created_at: REQUIRED_BIGINT,
  }).execute();
  await db.schema.createIndex('credit_alerts_user').on('credit_alerts').columns(['user_id', 'id']).execute();

  await createTable(db, 'reservations', {
    id: ID,
    user_id: requiredReference('users.id'),
    amount_mc: checked('bigint', sql`amount_mc >= 0`),
    captured_mc: withDefault('bigint', 0),
    status: REQUIRED_TEXT,
    operation: TEXT,
    unit: TEXT,
    rule_id: TEXT,
    rule_credits_mc: BIGINT,
    forced: withDefault('integer', 0),
    description: REQUIRED_TEXT,
    metadata: TEXT,
    expires_at: REQUIRED_BIGINT,
    created_at: REQUIRED_BIGINT,
    settled_at: BIGINT,
  }).execute();
  await db.schema.createIndex('reservations_open').on('reservations').columns(['status', 'expires_at']).execute();
  await db.schema.createIndex('reservations_user').on('reservations').columns(['user_id', 'status']).execute();

  await createTable(db, 'idempotency_keys', {
    id: ID,
    fingerprint: REQUIRED_TEXT,
    result: REQUIRED_TEXT,
    created_at: REQUIRED_BIGINT,
  }).execute();

  await createTable(db, 'processed_events', {
    id: ID,
    type: REQUIRED_TEXT,
    created_at: REQUIRED_BIGINT,
  }).execute();

  await createTable(db, 'audit_log', {
    id: ID,
    actor_id: TEXT,
    action: REQUIRED_TEXT,
    target_type: REQUIRED_TEXT,
    target_id: TEXT,
    details: TEXT,
    created_at: REQUIRED_BIGINT,
  }).execute();

  await createTable(db, 'user_settings', {
    user_id: ['text', (c) => c.primaryKey().references('users.id')],
    low_balance_threshold_mc: REQUIRED_BIGINT,
    auto_recharge_enabled: withDefault('integer', 0),
    auto_recharge_threshold_mc: BIGINT,
    auto_recharge_package_id: TEXT,
    below_threshold: withDefault('integer', 0),
    updated_at: REQUIRED_BIGINT,
  }).execute();

  await createTable(db, 'vapi_calls', {
    id: ID,
    user_id: requiredReference('users.id'),
    reservation_id: REQUIRED_TEXT,
    status: REQUIRED_TEXT,
    phone_number: REQUIRED_TEXT,
    assistant_id: TEXT,
    max_duration_seconds: REQUIRED_INTEGER,
    simulated: REQUIRED_INTEGER,
    duration_ms: BIGINT,
    charged_mc: BIGINT,
    created_at: REQUIRED_BIGINT,
    ended_at: BIGINT,
  }).execute();
  await db.schema.createIndex('vapi_calls_open').on('vapi_calls').columns(['status', 'created_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('The initial migration is not reversible: restore from a backup instead.');
}
