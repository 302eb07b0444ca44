/**
 * Revocable built-in tokens. Each user has a token generation (`users.token_version`);
 * a built-in token carries the generation it was issued in and is refused once the
 * user's generation has moved on. Signing out, a password change or reset and a role
 * change raise it in the transaction of their change.
 *
 * Every instance keeps users (with their generation) in memory for a moment; on
 * PostgreSQL the raise is announced with NOTIFY on `USERS_CHANNEL`, sent from inside the
 * transaction so it is delivered when, and only if, the change commits, and every
 * instance drops its copy of that user as it hears it.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

/** The NOTIFY channel on which changes of a user's access (tokens, role) are announced. */
export const USERS_CHANNEL = 'credit_users';

/** Ends every built-in token issued to the user so far; returns the new generation (tokens issued from now on carry it). */
export async function endTokens(trx: Kysely<DB>, dialect: 'sqlite' | 'postgres', userId: string, now: number): Promise<number> {
  const row = await trx
    .updateTable('users')
    .set((eb) => ({ token_version: eb('token_version', '+', 1), updated_at: now }))
    .where('id', '=', userId)
    .returning('token_version')
    .executeTakeFirstOrThrow();
  await announceUserChange(trx, dialect, userId);
  return Number(row.token_version);
}

/** Tells every instance (PostgreSQL: NOTIFY, delivered at commit) that the user's access changed. */
export async function announceUserChange(trx: Kysely<DB>, dialect: 'sqlite' | 'postgres', userId: string): Promise<void> {
  if (dialect !== 'postgres') return;
  await trx.selectNoFrom((eb) => eb.fn<unknown>('pg_notify', [eb.val(USERS_CHANNEL), eb.val(userId)]).as('n')).execute();
}
