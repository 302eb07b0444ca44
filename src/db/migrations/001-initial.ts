import { type Kysely, sql } from 'kysely';

/** The seed's seven tables and what a real ledger needs beside them. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const big = 'bigint' as const;

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('user','admin','super_admin')`))
    .addColumn('stripe_customer_id', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('credit_packages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('credits_mc', big, (c) => c.notNull().check(sql`credits_mc > 0`))
    .addColumn('bonus_credits_mc', big, (c) => c.notNull().defaultTo(0).check(sql`bonus_credits_mc >= 0`))
    .addColumn('price_cents', big, (c) => c.notNull().check(sql`price_cents > 0`))
    .addColumn('currency', 'text', (c) => c.notNull().defaultTo('usd'))
    .addColumn('popular', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('user_credits')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('balance_mc', big, (c) => c.notNull().defaultTo(0))
    .addColumn('reserved_mc', big, (c) => c.notNull().defaultTo(0).check(sql`reserved_mc >= 0`))
    .addColumn('available_mc', big, (c) => c.generatedAlwaysAs(sql`balance_mc - reserved_mc`).stored())
    .addColumn('lifetime_purchased_mc', big, (c) => c.notNull().defaultTo(0))
    .addColumn('lifetime_used_mc', big, (c) => c.notNull().defaultTo(0))
    .addColumn('seq', big, (c) => c.notNull().defaultTo(0))
    .addColumn('last_hash', 'text', (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('credit_transactions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('seq', big, (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('amount_mc', big, (c) => c.notNull())
    .addColumn('reserved_change_mc', big, (c) => c.notNull())
    .addColumn('balance_after_mc', big, (c) => c.notNull())
    .addColumn('reserved_after_mc', big, (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text')
    .addColumn('reference_type', 'text')
    .addColumn('reference_id', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addUniqueConstraint('credit_transactions_user_seq', ['user_id', 'seq'])
    .execute();
  await db.schema.createIndex('credit_transactions_user_time').on('credit_transactions').columns(['user_id', 'created_at']).execute();
  await db.schema
    .createIndex('credit_transactions_reference')
    .on('credit_transactions')
    .columns(['reference_type', 'reference_id'])
    .execute();

  await db.schema
    .createTable('credit_pricing')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('credits_mc', big, (c) => c.notNull().check(sql`credits_mc >= 0`))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('supersedes_id', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  // One active version per (operation, unit).
  await db.schema
    .createIndex('credit_pricing_active_rule')
    .on('credit_pricing')
    .columns(['operation', 'unit'])
    .unique()
    .where(sql.ref('active'), '=', 1)
    .execute();

  await db.schema
    .createTable('usage_tracking')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('quantity_milli', big, (c) => c.notNull())
    .addColumn('cost_mc', big, (c) => c.notNull())
    .addColumn('charged_mc', big, (c) => c.notNull())
    .addColumn('rule_id', 'text')
    .addColumn('rule_credits_mc', big, (c) => c.notNull())
    .addColumn('bypass', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('transaction_id', 'text')
    .addColumn('reservation_id', 'text')
    .addColumn('metadata', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('usage_tracking_user_time').on('usage_tracking').columns(['user_id', 'created_at']).execute();

  await db.schema
    .createTable('usage_rollups')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('bucket', big, (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('credits_mc', big, (c) => c.notNull())
    .addColumn('operations', big, (c) => c.notNull())
    .addColumn('quantity_milli', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_rollups_pk', ['user_id', 'bucket', 'operation', 'unit'])
    .execute();
  await db.schema.createIndex('usage_rollups_bucket').on('usage_rollups').column('bucket').execute();

  await db.schema
    .createTable('stripe_payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('package_id', 'text', (c) => c.notNull().references('credit_packages.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('purchase'))
    .addColumn('amount_cents', big, (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('credits_mc', big, (c) => c.notNull())
    .addColumn('bonus_credits_mc', big, (c) => c.notNull())
    .addColumn('stripe_payment_intent_id', 'text', (c) => c.unique())
    .addColumn('stripe_charge_id', 'text')
    .addColumn('refunded_cents', big, (c) => c.notNull().defaultTo(0))
    .addColumn('clawed_back_mc', big, (c) => c.notNull().defaultTo(0))
    .addColumn('disputed_mc', big, (c) => c.notNull().defaultTo(0))
    .addColumn('failure_message', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('stripe_payments_user').on('stripe_payments').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('stripe_payments_status').on('stripe_payments').columns(['status', 'id']).execute();

  await db.schema
    .createTable('credit_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('read', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('metadata', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('credit_alerts_user').on('credit_alerts').columns(['user_id', 'id']).execute();

  await db.schema
    .createTable('reservations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('amount_mc', big, (c) => c.notNull().check(sql`amount_mc >= 0`))
    .addColumn('captured_mc', big, (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('operation', 'text')
    .addColumn('unit', 'text')
    .addColumn('rule_id', 'text')
    .addColumn('rule_credits_mc', big)
    .addColumn('forced', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text')
    .addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('settled_at', big)
    .execute();
  await db.schema.createIndex('reservations_open').on('reservations').columns(['status', 'expires_at']).execute();
  await db.schema.createIndex('reservations_user').on('reservations').columns(['user_id', 'status']).execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('processed_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('details', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('user_settings')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('low_balance_threshold_mc', big, (c) => c.notNull())
    .addColumn('auto_recharge_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('auto_recharge_threshold_mc', big)
    .addColumn('auto_recharge_package_id', 'text')
    .addColumn('below_threshold', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('vapi_calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('reservation_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('phone_number', 'text', (c) => c.notNull())
    .addColumn('assistant_id', 'text')
    .addColumn('max_duration_seconds', 'integer', (c) => c.notNull())
    .addColumn('simulated', 'integer', (c) => c.notNull())
    .addColumn('duration_ms', big)
    .addColumn('charged_mc', big)
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('ended_at', big)
    .execute();
  await db.schema.createIndex('vapi_calls_open').on('vapi_calls').columns(['status', 'created_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('The initial migration is not reversible: restore from a backup instead.');
}
