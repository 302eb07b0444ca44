import type { Kysely } from 'kysely';
import { BIGINT, ID, REQUIRED_BIGINT, REQUIRED_INTEGER, REQUIRED_TEXT, UNIQUE_TEXT, defineTables, ownedRow } from './helpers.js';

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
  await defineTables(db, {
    auth_counters: {
      columns: {
        key: ID,
        window_start: REQUIRED_BIGINT,
        count: REQUIRED_INTEGER,
      },
      indexes: { auth_counters_window: ['window_start'] },
    },
    auth_tokens: {
      columns: {
        ...ownedRow('user_id', 'users.id'),
        purpose: REQUIRED_TEXT,
        token_hash: UNIQUE_TEXT,
        expires_at: REQUIRED_BIGINT,
        used_at: BIGINT,
        created_at: REQUIRED_BIGINT,
      },
      indexes: { auth_tokens_user: ['user_id', 'purpose'] },
    },
  });

  await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute();
}

export { notReversible as down } from './helpers.js';
