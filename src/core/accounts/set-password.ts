import type { UserRow } from '../../db/schema.js';
import { notFound } from '../errors.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { normalizeEmail } from './create-user.js';
import { assertPasswordAllowed } from './password-policy.js';
import { hashPassword } from './password.js';
import { endTokens } from './token-version.js';

/** Sets a user's password from the command line (an operator's recovery), under the same policy; the user's earlier tokens end. */
export async function setPassword(writer: LedgerWriter, emailInput: string, password: string, passwordMinScore?: number): Promise<UserRow> {
  const email = normalizeEmail(emailInput);
  const user = await writer.transaction(({ trx }) => trx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst());
  if (!user) throw notFound(`User ${email}`);
  await assertPasswordAllowed(password, [user.email, user.name], 'password', passwordMinScore);
  const passwordHash = await hashPassword(password);
  await writer.transaction(async ({ trx, now }) => {
    await trx.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', user.id).execute();
    await endTokens(trx, writer.dialect, user.id, now);
  });
  return user;
}
