import type { Role } from '../../db/schema.js';
import { conflict } from '../errors.js';
import { newId } from '../ids.js';
import type { LedgerWriter, TransactionScope } from '../ledger/writer.js';
import { insertAccount } from './insert-account.js';
import { hashPassword } from './password.js';
import { assertPasswordAllowed } from './password-policy.js';

export interface NewUser {
  email: string;
  name: string;
  /** Absent: the user cannot sign in with a password (a user of the platform's identity provider). */
  password?: string;
  /** The score the password needs (config.passwordMinScore); production's when absent. */
  passwordMinScore?: number;
  /** The platform's id of the user (users.external_id). */
  externalId?: string;
  role?: Role;
  /** Credits granted at once, as a `signup_bonus` row (millicredits). */
  signupBonusMc?: number;
  /** The low-balance threshold new accounts start with (millicredits). */
  lowBalanceThresholdMc?: number;
  /** Runs first in the user's transaction; throwing creates nothing. */
  before?: (scope: TransactionScope) => Promise<void>;
  /** Runs last in the user's transaction, with the new user. */
  after?: (scope: TransactionScope, user: CreatedUser) => Promise<void>;
  /** The address is known to be the user's (an operator made the account): marked verified. */
  emailVerified?: boolean;
}

export interface CreatedUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: number;
}

/** The stored hash of a user without a password: no password verifies against it. */
export const NO_PASSWORD = '!';

/** 10 credits: the low-balance threshold of a new account. */
export const DEFAULT_LOW_BALANCE_THRESHOLD_MC = 10_000;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creates a user with an empty account and default settings; a password that breaks the
 * policy is a validation_error, a taken email a conflict.
 */
export async function createUser(writer: LedgerWriter, input: NewUser): Promise<CreatedUser> {
  const email = normalizeEmail(input.email);
  let passwordHash = NO_PASSWORD;
  if (input.password !== undefined) {
    await assertPasswordAllowed(input.password, [email, input.name], 'body.password', input.passwordMinScore);
    passwordHash = await hashPassword(input.password);
  }
  const role = input.role ?? 'user';
  return writer.transaction(async (scope) => {
    const { trx, now } = scope;
    await input.before?.(scope);
    const taken = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (taken) throw conflict('An account with this email already exists.');
    const id = newId(now);
    await insertUserWithAccount(scope, {
      id,
      email,
      name: input.name,
      passwordHash,
      role,
      emailVerifiedAt: input.emailVerified ? now : null,
      externalId: input.externalId ?? null,
      lowBalanceThresholdMc: input.lowBalanceThresholdMc ?? DEFAULT_LOW_BALANCE_THRESHOLD_MC,
      signupBonusMc: input.signupBonusMc ?? 0,
    });
    const user = { id, email, name: input.name, role, createdAt: now };
    await input.after?.(scope, user);
    return user;
  });
}

/**
 * Inserts a user with its personal account (accounts row, same id, same external id), its
 * empty balance (the start of its ledger chain) and default settings, and grants `signupBonusMc` as a `signup_bonus` row, in the caller's transaction:
 * every way a user is made (sign-up, an operator, the platform's customers) goes through it.
 */
export async function insertUserWithAccount(
  scope: TransactionScope,
  u: {
    id: string;
    email: string;
    name: string;
    passwordHash: string;
    role: Role;
    emailVerifiedAt: number | null;
    externalId: string | null;
    lowBalanceThresholdMc: number;
    signupBonusMc: number;
  },
): Promise<void> {
  const { trx, now, apply } = scope;
  await trx
    .insertInto('users')
    .values({
      id: u.id,
      email: u.email,
      name: u.name,
      password_hash: u.passwordHash,
      role: u.role,
      stripe_customer_id: null,
      email_verified_at: u.emailVerifiedAt,
      external_id: u.externalId,
      created_at: now,
      updated_at: now,
    })
    .execute();
  // The user's personal account: its id is the user's, so the ledger rows keyed by it are the user's.
  await insertAccount(scope, {
    id: u.id,
    kind: 'personal',
    name: u.name,
    externalId: u.externalId,
    lowBalanceThresholdMc: u.lowBalanceThresholdMc,
    startingMc: u.signupBonusMc,
  });
  if (u.signupBonusMc > 0) {
    const [r] = await apply([{ kind: 'credit', userId: u.id, amountMc: u.signupBonusMc, type: 'signup_bonus' }]);
    if (r && !r.ok) throw r.error;
  }
}
