import type { Kysely } from 'kysely';
import type { DB, UserRow } from '../../db/schema.js';
import { invalid } from '../errors.js';
import type { LedgerWriter, TransactionScope } from '../ledger/writer.js';
import { consumeAuthToken } from './auth-tokens.js';

/**
 * Marks the user's address verified, once, and grants the sign-up bonus withheld until
 * then (only if the account never had one: turning verification on later pays nobody
 * twice). Runs in the caller's transaction.
 */
export async function markEmailVerified({ trx, now, apply }: TransactionScope, userId: string, signupBonusMc: number): Promise<void> {
  const first = await trx
    .updateTable('users')
    .set({ email_verified_at: now, updated_at: now })
    .where('id', '=', userId)
    .where('email_verified_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (!first || signupBonusMc <= 0) return;
  const had = await trx
    .selectFrom('credit_transactions')
    .select('id')
    .where('user_id', '=', userId)
    .where('type', '=', 'signup_bonus')
    .executeTakeFirst();
  if (had) return;
  const [r] = await apply([{ kind: 'credit', userId, amountMc: signupBonusMc, type: 'signup_bonus' }]);
  if (r && !r.ok) throw r.error;
}

/** Uses a verification link's token: the address is verified (bonus granted) and the user returned; a bad token is validation_error. */
export async function verifyEmail(writer: LedgerWriter, db: Kysely<DB>, token: string, signupBonusMc: number): Promise<UserRow> {
  const userId = await writer.transaction(async (scope) => {
    const id = await consumeAuthToken(scope.trx, token, 'verify_email', scope.now);
    if (!id) return null;
    await markEmailVerified(scope, id, signupBonusMc);
    return id;
  });
  if (!userId) {
    const message = 'This verification link is invalid, already used or expired. Ask for a new one.';
    throw invalid(message, { fields: [{ path: 'body.token', field: 'token', message }] });
  }
  return db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
}
