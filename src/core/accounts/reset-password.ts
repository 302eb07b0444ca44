import type { Kysely } from 'kysely';
import type { DB, UserRow } from '../../db/schema.js';
import { invalid } from '../errors.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { consumeAuthToken, peekAuthToken } from './auth-tokens.js';
import { assertPasswordAllowed } from './password-policy.js';
import { hashPassword } from './password.js';
import { endTokens } from './token-version.js';
import { markEmailVerified } from './verify-email.js';

const badLink = () => {
  const message = 'This reset link is invalid, already used or expired. Ask for a new one.';
  return invalid(message, { fields: [{ path: 'body.token', field: 'token', message }] });
};

/**
 * Sets a new password with a reset link's token, once: the policy is checked before the
 * token is used (a refused password leaves the link usable). Using the link also proves
 * the address, so it verifies it (granting a withheld sign-up bonus). Every token issued
 * before ends.
 */
export async function resetPassword(
  writer: LedgerWriter,
  db: Kysely<DB>,
  token: string,
  password: string,
  signupBonusMc: number,
  passwordMinScore?: number,
): Promise<UserRow> {
  const pending = await peekAuthToken(db, token, 'reset_password', Date.now());
  if (!pending) throw badLink();
  const user = await db.selectFrom('users').selectAll().where('id', '=', pending).executeTakeFirstOrThrow();
  await assertPasswordAllowed(password, [user.email, user.name], 'body.password', passwordMinScore);
  const passwordHash = await hashPassword(password);
  const ok = await writer.transaction(async (scope) => {
    const id = await consumeAuthToken(scope.trx, token, 'reset_password', scope.now);
    if (id !== user.id) return false;
    await scope.trx.updateTable('users').set({ password_hash: passwordHash, updated_at: scope.now }).where('id', '=', id).execute();
    await markEmailVerified(scope, id, signupBonusMc);
    await endTokens(scope.trx, writer.dialect, id, scope.now);
    return true;
  });
  if (!ok) throw badLink();
  return db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
}
