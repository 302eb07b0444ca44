import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DEFAULT_LOW_BALANCE_THRESHOLD_MC, insertUserWithAccount, normalizeEmail } from '../accounts/create-user.js';
import { DomainError, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { resolveServiceMember } from './resolve-member.js';
import type { LedgerWriter } from '../ledger/writer.js';

export interface CustomerInput {
  externalId: string;
  email?: string | undefined;
  name?: string | undefined;
  kind?: 'personal' | 'organization' | undefined;
  /** Credits a new account starts with (SIGNUP_BONUS_CREDITS), as a `signup_bonus` row. */
  signupBonusMc?: number;
}

export interface Customer {
  accountId: string;
  externalId: string;
  kind: 'personal';
  name: string;
}

/** The stored password of a user made by the platform: no password signs in with it. */
export const NO_PASSWORD = '!external';

/** A mail address for a customer created without one: reserved (`.invalid`), unique per external id. */
function placeholderEmail(externalId: string): string {
  return `customer-${createHash('sha256').update(externalId).digest('hex').slice(0, 24)}@customers.invalid`;
}

/**
 * Creates or updates the customer the platform names `externalId`: a personal customer is a
 * user (listed by the admin users routes) with that external id, the same user a platform
 * token with that `sub` signs in as. `created` tells which happened. Organisation customers
 * wait for organisations (issue 18): `kind: "organization"` is a validation_error.
 */
export async function upsertCustomer(writer: LedgerWriter, input: CustomerInput): Promise<{ customer: Customer; created: boolean }> {
  if (input.kind === 'organization') {
    throw new DomainError('validation_error', 'Organisation customers are not available yet; only `kind: "personal"` can be created.', {
      fields: [{ path: 'body.kind', field: 'kind', message: 'Kind "organization" is not available yet' }],
    });
  }
  const email = input.email === undefined ? undefined : normalizeEmail(input.email);
  // Two requests creating the same customer at once (here or on another instance): the
  // writer retries the loser's transaction on the unique violation, and it finds the winner's row.
  return writer.transaction(async (scope) => {
    const { trx, now } = scope;
    const existing = await trx
      .selectFrom('users')
      .select(['id', 'name', 'email'])
      .where('external_id', '=', input.externalId)
      .executeTakeFirst();
    if (email !== undefined) await assertEmailFree(trx, email, existing?.id);
    if (existing) {
      const name = input.name ?? existing.name;
      if (input.name !== undefined || (email !== undefined && email !== existing.email)) {
        await trx
          .updateTable('users')
          .set({ name, ...(email !== undefined ? { email } : {}), updated_at: now })
          .where('id', '=', existing.id)
          .execute();
      }
      return { customer: { accountId: existing.id, externalId: input.externalId, kind: 'personal' as const, name }, created: false };
    }
    const id = newId(now);
    const mail = email ?? placeholderEmail(input.externalId);
    const name = input.name ?? (email ? (email.split('@')[0] as string) : input.externalId).slice(0, 100);
    await insertUserWithAccount(scope, {
      id,
      email: mail,
      name,
      passwordHash: NO_PASSWORD,
      role: 'user',
      emailVerifiedAt: null,
      externalId: input.externalId,
      lowBalanceThresholdMc: DEFAULT_LOW_BALANCE_THRESHOLD_MC,
      signupBonusMc: input.signupBonusMc ?? 0,
    });
    return { customer: { accountId: id, externalId: input.externalId, kind: 'personal' as const, name }, created: true };
  });
}

async function assertEmailFree(trx: Kysely<DB>, email: string, ownId: string | undefined) {
  const other = await trx.selectFrom('users').select(['id']).where('email', '=', email).executeTakeFirst();
  if (other && other.id !== ownId) {
    throw conflict('Another account already uses this email; a customer is never joined to an existing account by its address.');
  }
}

/** The account of a customer, or null when the platform never created it. */
export async function findCustomer(db: Kysely<DB>, externalId: string): Promise<{ id: string; role: string } | null> {
  const row = await db.selectFrom('users').select(['id', 'role']).where('external_id', '=', externalId).executeTakeFirst();
  return row ?? null;
}

/**
 * The customer a service request names, with `member` checked: 404 when there is none, 400
 * when `member` is not one of its members.
 */
export async function getMemberCustomer(
  db: Kysely<DB>,
  customer: string,
  member: string | undefined,
): Promise<{ id: string; role: string; memberId: string | null }> {
  const c = await findCustomer(db, customer);
  if (!c) throw notFound('Customer');
  return { ...c, memberId: await resolveServiceMember(db, c.id, customer, member) };
}
