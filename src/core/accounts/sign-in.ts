/**
 * Signing in with an email and password, with limits that cannot lock a user out:
 *
 * - per (email, client address): at most `perClient` guesses in a window, then
 *   rate_limited until the window ends; a correct password from that client clears it;
 * - per email, from every client together: past `slowAfter` guesses in the window, each
 *   attempt waits a little longer (up to `maxDelayMs`) before its password is checked.
 *   Slower, never refused: the owner's correct password from their own client still
 *   signs in while someone elsewhere hammers the address.
 *
 * The attempt is counted before the password hash is checked and settled after, so
 * parallel guesses cannot slip past the limit; the counters are in the database, so
 * several instances count the same guesses.
 */
import type { Kysely } from 'kysely';
import type { DB, UserRow } from '../../db/schema.js';
import { DomainError, rateLimited } from '../errors.js';
import { normalizeEmail } from './create-user.js';
import { clearAttempts, clientOf, countAttempt, counterKey, uncountAttempt } from './count-attempt.js';
import { DUMMY_HASH_PROMISE, verifyPassword } from './password.js';

export interface SignInLimits {
  windowMs: number;
  /** Guesses per (email, client address) per window. */
  perClient: number;
  /** Guesses per email (all clients) per window before attempts are slowed. */
  slowAfter: number;
  /** Added delay per guess past `slowAfter`. */
  delayStepMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  windowMs: 15 * 60_000,
  perClient: 10,
  slowAfter: 10,
  delayStepMs: 200,
  maxDelayMs: 2000,
};

/** How long an attempt waits when `count` guesses (this one included) were made on its email. */
export function slowDownMs(count: number, limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS): number {
  if (count <= limits.slowAfter) return 0;
  return Math.min(limits.maxDelayMs, (count - limits.slowAfter) * limits.delayStepMs);
}

export interface SignInInput {
  email: string;
  password: string;
  /** The client's address (behind a trusted proxy, the one the proxy saw); IPv6 counts by /64. */
  clientIp: string;
  /** Refuse a correct password while the address is unverified. */
  requireVerifiedEmail?: boolean;
  limits?: SignInLimits;
  now?: number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Checks the password under the limits above: the user, or unauthorized / rate_limited / email_not_verified. */
export async function signIn(db: Kysely<DB>, input: SignInInput): Promise<UserRow> {
  const limits = input.limits ?? DEFAULT_SIGN_IN_LIMITS;
  const now = input.now ?? Date.now();
  const email = normalizeEmail(input.email);
  const clientKey = counterKey('sign-in:client', email, clientOf(input.clientIp));
  const emailKey = counterKey('sign-in:email', email);

  const client = await countAttempt(db, clientKey, limits.windowMs, now);
  if (client.count > limits.perClient) {
    throw rateLimited(
      'Too many failed sign-ins for this email from here; try again later or reset your password.',
      (client.resetAt - now) / 1000,
    );
  }
  const perEmail = await countAttempt(db, emailKey, limits.windowMs, now);
  const delay = slowDownMs(perEmail.count, limits);
  if (delay > 0) await (input.sleep ?? wait)(delay);

  const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  // An unknown email costs the same hash as a wrong password, and answers the same.
  // A user without a password (one of the platform's: no scrypt hash) costs the same too, and never matches.
  const usable = row?.password_hash.startsWith('scrypt$') ? row.password_hash : undefined;
  const ok = (await verifyPassword(input.password, usable ?? (await DUMMY_HASH_PROMISE))) && usable !== undefined;
  if (!row || !ok) throw new DomainError('unauthorized', 'The email or password is wrong.');

  // Settle: a correct password was no guess.
  await clearAttempts(db, clientKey);
  await uncountAttempt(db, emailKey, perEmail.windowStart);
  if (input.requireVerifiedEmail && row.email_verified_at === null) {
    throw new DomainError('email_not_verified', 'Verify your email address first: use the link we sent you, or ask for a new one.');
  }
  return row;
}
