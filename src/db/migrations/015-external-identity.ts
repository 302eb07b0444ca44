import { type Kysely, sql } from 'kysely';
import { addColumns, hasColumn, withDefault } from './helpers.js';

/**
 * Identity from the platform, and revocable built-in tokens:
 * - `users.external_id`: the platform's id of the user (a platform token's `sub`, the
 *   service API's customer id); null for users who only sign in with a password. Unique
 *   where set (several nulls are allowed on both databases). The service API's migration
 *   (014) adds it too: whichever runs first adds it.
 * - `users.token_version`: the generation of the user's built-in tokens. A token carries
 *   the generation it was issued in; signing out, a password change and a role change
 *   raise it, which ends every token issued before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(await hasColumn(db, 'users', 'external_id'))) {
    await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
    await sql`create unique index if not exists users_external_id on users (external_id)`.execute(db);
  }
  await addColumns(db, 'users', { token_version: withDefault('integer', 0) });
}

export { notReversible as down } from './helpers.js';
