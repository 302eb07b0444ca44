import type { Kysely } from 'kysely';
import type { AuthTokenPurpose, DB } from '../../db/schema.js';
import { VERIFY_EMAIL_TTL_MS, issueAuthToken } from './auth-tokens.js';
import { countAttempt, counterKey } from './count-attempt.js';
import { normalizeEmail } from './create-user.js';
import type { AccountLinks, Mail, SendMail } from './mailer.js';

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
 * The flow of both "send me a link" requests: when the address has an account that `wants`
 * the link and the address may be mailed now, issues a single-use token of `purpose` and
 * mails `mail(email, token)`; otherwise does nothing, so the caller answers the same either
 * way (nobody learns which addresses have accounts).
 */
export async function mailAccountLink(
  db: Kysely<DB>,
  send: SendMail,
  emailInput: string,
  now: number,
  link: {
    purpose: AuthTokenPurpose;
    ttlMs: number;
    wants(user: { email_verified_at: number | null }): boolean;
    mail(email: string, token: string): Mail;
  },
): Promise<void> {
  const email = normalizeEmail(emailInput);
  const user = await db.selectFrom('users').select(['id', 'email_verified_at']).where('email', '=', email).executeTakeFirst();
  if (!user || !link.wants(user)) return;
  if (!(await mayMail(db, email, now))) return;
  const token = await issueAuthToken(db, user.id, link.purpose, link.ttlMs, now);
  send(link.mail(email, token));
}

/**
 * Sends a new verification link to `email` when it belongs to an unverified account;
 * otherwise does nothing. The caller answers the same either way.
 */
export function requestEmailVerification(db: Kysely<DB>, send: SendMail, links: AccountLinks, emailInput: string, now = Date.now()) {
  return mailAccountLink(db, send, emailInput, now, {
    purpose: 'verify_email',
    ttlMs: VERIFY_EMAIL_TTL_MS,
    wants: (u) => u.email_verified_at === null,
    mail: (email, token) => verificationMail(email, links.verifyEmail(token)),
  });
}
