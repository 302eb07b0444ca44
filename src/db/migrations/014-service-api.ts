import { type Kysely, sql } from 'kysely';
import { BIGINT, ID, REQUIRED_BIGINT, REQUIRED_TEXT, TEXT, UNIQUE_TEXT, defineTables, hasColumn } from './helpers.js';

/**
 * The service API (issue 15):
 * - `api_keys`: keys of the platform's backends. Only the SHA-256 of a key is kept (`hash`,
 *   unique); `prefix` is its first characters, shown to tell keys apart. A revoked key keeps
 *   its row (`revoked_at`), so the list shows what existed and when it ended.
 * - `service_holds`: the holds created through `POST /api/v1/holds`. The hold itself is a
 *   ledger reservation with the same id (amount, status and expiry live there, the one
 *   truth the writer and the sweeper act on); this row says which key created it and for
 *   what quantity, and marks the reservation as one the service API may settle (a call's
 *   hold is not).
 * - `users.external_id` (the platform's id of a user: a platform token's `sub`, the service
 *   API's customer; unique where set), unless migration 013 (identity from the platform)
 *   already added it: whichever runs first adds it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(await hasColumn(db, 'users', 'external_id'))) {
    await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
    await sql`create unique index if not exists users_external_id on users (external_id)`.execute(db);
  }
  await defineTables(db, {
    api_keys: {
      columns: {
        id: ID,
        name: REQUIRED_TEXT,
        prefix: REQUIRED_TEXT,
        hash: UNIQUE_TEXT,
        created_by: TEXT,
        created_at: REQUIRED_BIGINT,
        last_used_at: BIGINT,
        revoked_at: BIGINT,
      },
    },
    service_holds: {
      columns: {
        id: ID,
        user_id: REQUIRED_TEXT,
        api_key_id: REQUIRED_TEXT,
        quantity_milli: REQUIRED_BIGINT,
        created_at: REQUIRED_BIGINT,
      },
    },
  });
}

export { notReversible as down } from './helpers.js';
