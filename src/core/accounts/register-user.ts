import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { RESET_PASSWORD_TTL_MS, VERIFY_EMAIL_TTL_MS, issueAuthToken } from './auth-tokens.js';
import { type CreatedUser, createUser, normalizeEmail } from './create-user.js';
import type { AccountLinks, SendMail } from './mailer.js';
import { mayMail, verificationMail } from './request-email-verification.js';

export interface RegisterInput {
  email: string;
  name: string;
  password: string;
  signupBonusMc: number;
  /** The score the password needs (config.passwordMinScore). */
  passwordMinScore: number;
}

/** Signs up without email verification: the account at once, with its sign-up bonus; a taken email is a conflict. */
export async function registerUser(writer: LedgerWriter, input: RegisterInput): Promise<CreatedUser> {
  return createUser(writer, {
    email: input.email,
    name: input.name,
    password: input.password,
    passwordMinScore: input.passwordMinScore,
    role: 'user',
    signupBonusMc: input.signupBonusMc,
  });
}

/**
 * Signs up with email verification (REQUIRE_EMAIL_VERIFICATION): the answer is the same
 * whether the address is new or taken, so it tells nobody which addresses have accounts.
 * A new address gets an unverified account (no bonus until it is verified) and a link; a
 * taken one gets a mail saying so (with a new link if it is still unverified, else a
 * password-reset link). The password is checked and hashed on both paths alike.
 */
export async function registerWithVerification(
  writer: LedgerWriter,
  db: Kysely<DB>,
  send: SendMail,
  links: AccountLinks,
  input: RegisterInput,
): Promise<void> {
  const email = normalizeEmail(input.email);
  let created: CreatedUser | null = null;
  try {
    created = await createUser(writer, {
      email,
      name: input.name,
      password: input.password,
      passwordMinScore: input.passwordMinScore,
      role: 'user',
    });
  } catch (e) {
    if ((e as { code?: string }).code !== 'conflict') throw e;
  }
  const now = Date.now();
  if (created) {
    await mayMail(db, email, now); // counted like any mail to the address
    const token = await issueAuthToken(db, created.id, 'verify_email', VERIFY_EMAIL_TTL_MS, now);
    send(verificationMail(email, links.verifyEmail(token)));
    return;
  }
  // Taken: spend the same work a creation does (createUser checked the policy and hashed
  // before it found the address taken), then tell the owner, not the caller.
  const user = await db.selectFrom('users').select(['id', 'email_verified_at']).where('email', '=', email).executeTakeFirstOrThrow();
  if (!(await mayMail(db, email, now))) return;
  if (user.email_verified_at === null) {
    const token = await issueAuthToken(db, user.id, 'verify_email', VERIFY_EMAIL_TTL_MS, now);
    send(verificationMail(email, links.verifyEmail(token)));
    return;
  }
  const token = await issueAuthToken(db, user.id, 'reset_password', RESET_PASSWORD_TTL_MS, now);
  send({
    to: email,
    subject: 'You already have an account',
    text:
      'Someone, probably you, tried to sign up with this address, which already has an account.\n\n' +
      `Sign in as usual, or, if you forgot your password, set a new one here (the link works once, for 30 minutes):\n\n${links.resetPassword(token)}\n\n` +
      'If it was not you, ignore this mail: nothing has changed.\n',
  });
}
