import type { Kysely } from 'kysely';

/**
 * Accounts and access:
 * - `auth_counters`: fixed-window counters of sign-in attempts (per client, per email and
 *   client, per email), in the database so every instance counts the same guesses;
 * - `auth_tokens`: single-use tokens mailed for email verification and password reset,
 *   stored only as a SHA-256 hash;
 * - `users.email_verified_at`: when the address was proved (null: never). With
 *   REQUIRE_EMAIL_VERIFICATION on, an account without it signs in only after using a
 *   verification link, which it can ask for again at any time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('auth_counters')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('auth_counters_window').on('auth_counters').column('window_start').execute();

  await db.schema
    .createTable('auth_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('auth_tokens_user').on('auth_tokens').columns(['user_id', 'purpose']).execute();

  await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute();
}

export async function down(): Promise<void> {
  throw new Error('Not reversible.');
}
