import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { RESET_PASSWORD_TTL_MS } from './auth-tokens.js';
import type { AccountLinks, SendMail } from './mailer.js';
import { mailAccountLink } from './request-email-verification.js';

/**
 * "Forgot password?": mails a single-use reset link (30 minutes) when the address has an
 * account, and does nothing otherwise; the caller answers the same either way.
 */
export function requestPasswordReset(db: Kysely<DB>, send: SendMail, links: AccountLinks, emailInput: string, now = Date.now()) {
  return mailAccountLink(db, send, emailInput, now, {
    purpose: 'reset_password',
    ttlMs: RESET_PASSWORD_TTL_MS,
    wants: () => true,
    mail: (email, token) => ({
      to: email,
      subject: 'Reset your password',
      text:
        `Open this link to choose a new password:\n\n${links.resetPassword(token)}\n\n` +
        'The link works once, for 30 minutes. If you did not ask for it, ignore this mail: your password has not changed.\n',
    }),
  });
}
