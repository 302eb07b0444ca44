import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { RESET_PASSWORD_TTL_MS, issueAuthToken } from './auth-tokens.js';
import { normalizeEmail } from './create-user.js';
import type { AccountLinks, SendMail } from './mailer.js';
import { mayMail } from './request-email-verification.js';

/**
 * "Forgot password?": mails a single-use reset link (30 minutes) when the address has an
 * account, and does nothing otherwise; the caller answers the same either way.
 */
export async function requestPasswordReset(
  db: Kysely<DB>,
  send: SendMail,
  links: AccountLinks,
  emailInput: string,
  now = Date.now(),
): Promise<void> {
  const email = normalizeEmail(emailInput);
  const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (!user) return;
  if (!(await mayMail(db, email, now))) return;
  const token = await issueAuthToken(db, user.id, 'reset_password', RESET_PASSWORD_TTL_MS, now);
  send({
    to: email,
    subject: 'Reset your password',
    text:
      `Open this link to choose a new password:\n\n${links.resetPassword(token)}\n\n` +
      'The link works once, for 30 minutes. If you did not ask for it, ignore this mail: your password has not changed.\n',
  });
}
