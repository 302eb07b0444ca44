import type { Kysely } from 'kysely';
import { BIGINT, ID, REQUIRED_BIGINT, UNIQUE_TEXT, defineTable } from './helpers.js';

/**
 * One-time tokens that create the first super admin from the browser (`/setup?token=`):
 * made at start-up while there is none, kept as a SHA-256 hash, used once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await defineTable(db, 'setup_tokens', {
    columns: {
      id: ID,
      token_hash: UNIQUE_TEXT,
      created_at: REQUIRED_BIGINT,
      expires_at: REQUIRED_BIGINT,
      used_at: BIGINT,
    },
  });
}

export { notReversible as down } from './helpers.js';
