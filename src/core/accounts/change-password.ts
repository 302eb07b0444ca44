import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { assertPasswordAllowed } from './password-policy.js';
import { hashPassword } from './password.js';
import { type SignInLimits, signIn } from './sign-in.js';
import { endTokens } from './token-version.js';

export interface ChangePasswordInput {
  userId: string;
  currentPassword: string;
  newPassword: string;
  /** The client's address: wrong current passwords count against the sign-in limits, like failed sign-ins. */
  clientIp: string;
  limits?: SignInLimits;
  /** The score the new password needs (config.passwordMinScore); production's when absent. */
  passwordMinScore?: number;
}

/**
 * Changes the signed-in user's password. The current password is checked as a sign-in
 * is (same limits, so a stolen token cannot guess it quickly; a wrong one is forbidden),
 * the new one meets the sign-up policy, and every token issued before is ended in the
 * same transaction. Returns the new token generation (the caller issues a fresh token).
 */
export async function changePassword(writer: LedgerWriter, db: Kysely<DB>, input: ChangePasswordInput): Promise<number> {
  const user = await db.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', input.userId).executeTakeFirst();
  if (!user) throw notFound('User');
  try {
    await signIn(db, {
      email: user.email,
      password: input.currentPassword,
      clientIp: input.clientIp,
      ...(input.limits ? { limits: input.limits } : {}),
    });
  } catch (e) {
    if (e instanceof DomainError && e.code === 'unauthorized') {
      throw new DomainError('forbidden', 'The current password is wrong.', {
        fields: [{ path: 'body.currentPassword', field: 'currentPassword', message: 'is wrong' }],
      });
    }
    throw e;
  }
  await assertPasswordAllowed(input.newPassword, [user.email, user.name], 'body.newPassword', input.passwordMinScore);
  const passwordHash = await hashPassword(input.newPassword);
  return writer.transaction(async ({ trx, now }) => {
    await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', user.id).execute();
    return endTokens(trx, writer.dialect, user.id, now);
  });
}
