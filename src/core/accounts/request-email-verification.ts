import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { VERIFY_EMAIL_TTL_MS, issueAuthToken } from './auth-tokens.js';
import { countAttempt, counterKey } from './count-attempt.js';
import { normalizeEmail } from './create-user.js';
import type { AccountLinks, SendMail } from './mailer.js';

/** Mails about one address (links, notices) per hour, whoever asks: no mail-bombing through us. */
export const MAILS_PER_ADDRESS_PER_HOUR = 5;

/** True when another mail may go to `email` now (counts it). */
export async function mayMail(db: Kysely<DB>, email: string, now: number): Promise<boolean> {
  const c = await countAttempt(db, counterKey('mail', email), 3600_000, now);
  return c.count <= MAILS_PER_ADDRESS_PER_HOUR;
}

export function verificationMail(to: string, link: string) {
  return {
    to,
    subject: 'Verify your email address',
    text:
      `Open this link to verify your email address and finish creating your account:\n\n${link}\n\n` +
      'The link works once, for 24 hours. If you did not sign up, ignore this mail.\n',
  };
}

/**
 * Sends a new verification link to `email` when it belongs to an unverified account;
 * otherwise does nothing. The caller answers the same either way.
 */
export async function requestEmailVerification(
  db: Kysely<DB>,
  send: SendMail,
  links: AccountLinks,
  emailInput: string,
  now = Date.now(),
): Promise<void> {
  const email = normalizeEmail(emailInput);
  const user = await db.selectFrom('users').select(['id', 'email_verified_at']).where('email', '=', email).executeTakeFirst();
  if (!user || user.email_verified_at !== null) return;
  if (!(await mayMail(db, email, now))) return;
  const token = await issueAuthToken(db, user.id, 'verify_email', VERIFY_EMAIL_TTL_MS, now);
  send(verificationMail(email, links.verifyEmail(token)));
}
