import type { Kysely } from 'kysely';
import type { AccountKind, DB } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ensureExternalUser } from '../accounts/ensure-external-user.js';
import { recordAudit } from '../audit/record-audit.js';
import { DomainError, conflict, notFound } from '../errors.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { externalIdTaken, insertOrganization } from '../orgs/create-organization.js';
import { addMember, lockOrg } from '../orgs/membership.js';
import { findNamedUser, resolveServiceMember } from './resolve-member.js';

export interface CustomerInput {
  externalId: string;
  email?: string | undefined;
  name?: string | undefined;
  /** Absent: whatever the customer is already (a new one is personal). */
  kind?: 'personal' | 'organization' | undefined;
  /** Organisations only: a user (external id, or user id) who is, or becomes, an owner. */
  owner?: string | undefined;
  /** Credits a new personal account starts with (SIGNUP_BONUS_CREDITS), as a `signup_bonus` row. */
  signupBonusMc?: number;
}

export interface Customer {
  accountId: string;
  externalId: string;
  kind: AccountKind;
  name: string;
}

const invalidField = (field: string, message: string, detail: string) =>
  new DomainError('validation_error', message, { fields: [{ path: `body.${field}`, field, message: detail }] });

const kindConflict = (externalId: string, is: AccountKind, asked: AccountKind) =>
  conflict(
    `Customer ${JSON.stringify(externalId)} is ${is === 'organization' ? 'an organisation' : 'a personal customer'}; a customer never changes kind (asked: ${JSON.stringify(asked)}).`,
    { externalId, kind: is },
  );

/**
 * Creates or updates the customer the platform names `externalId`; `created` tells which
 * happened. External ids are one namespace: a personal customer and an organisation never
 * share one, and a customer never changes kind (409).
 *
 * - A personal customer is a user (listed by the admin users routes) with that external id,
 *   made or found by the same use-case as a platform token's first sight
 *   (ensureExternalUser), so the token with that `sub` and this customer are one user. An
 *   email another user holds is 409.
 * - An organisation is an account of kind `organization` with that external id, the same as
 *   `POST /api/orgs` makes with `externalId`. It has no email (400). `owner` names a user
 *   (their external id, or user id) who is made an owner (added, or promoted from another
 *   role); no one is ever removed or demoted here. Without `owner`, a new organisation has
 *   no members until one is added (an owner made with `owner`, then invitations).
 */
export async function upsertCustomer(
  writer: LedgerWriter,
  db: Kysely<DB>,
  input: CustomerInput,
): Promise<{ customer: Customer; created: boolean }> {
  const existing = await db.selectFrom('accounts').select('kind').where('external_id', '=', input.externalId).executeTakeFirst();
  const kind = input.kind ?? existing?.kind ?? 'personal';
  if (existing && existing.kind !== kind) throw kindConflict(input.externalId, existing.kind, kind);
  if (kind === 'organization') return upsertOrganization(writer, input);
  if (input.owner !== undefined) {
    throw invalidField('owner', 'A personal customer has no owner: `owner` is for organisations.', 'Owner is for organisations only');
  }
  const u = await ensureExternalUser(
    writer,
    db,
    { externalId: input.externalId, email: input.email ?? null, name: input.name ?? null, emailTaken: 'conflict' },
    { signupBonusMc: input.signupBonusMc ?? 0 },
  );
  return { customer: { accountId: u.id, externalId: input.externalId, kind: 'personal', name: u.name }, created: u.created };
}

async function upsertOrganization(writer: LedgerWriter, input: CustomerInput): Promise<{ customer: Customer; created: boolean }> {
  if (input.email !== undefined) {
    throw invalidField('email', 'An organisation has no email: its members have theirs.', 'Email is for personal customers only');
  }
  const { externalId } = input;
  const attempt = () =>
    writer.transaction(async (scope) => {
      const { trx, now } = scope;
      const ownerId = input.owner === undefined ? null : await findUser(trx, input.owner);
      const existing = await trx
        .selectFrom('accounts')
        .select(['id', 'kind', 'name'])
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      if (existing) {
        if (existing.kind !== 'organization') throw kindConflict(externalId, existing.kind, 'organization');
        const name = input.name ?? existing.name;
        if (name !== existing.name) {
          await trx.updateTable('accounts').set({ name, updated_at: now }).where('id', '=', existing.id).execute();
        }
        if (ownerId !== null) await makeOwner(scope, existing.id, ownerId);
        return { customer: { accountId: existing.id, externalId, kind: 'organization' as const, name }, created: false };
      }
      const name = input.name ?? externalId.slice(0, 100);
      const id = await insertOrganization(
        scope,
        { name, externalId, ownerId },
        { actorId: null, details: { ownerId, via: 'service_api' } },
      );
      return { customer: { accountId: id, externalId, kind: 'organization' as const, name }, created: true };
    });
  try {
    return await attempt();
  } catch (e) {
    // Another request (here or on another instance) made an account with this id in between:
    // the same organisation is updated now; anything else keeps the id (409 from the retry).
    if (!isUniqueViolation(e)) throw e;
    return attempt().catch((again) => {
      if (isUniqueViolation(again)) throw externalIdTaken(externalId);
      throw again;
    });
  }
}

/** The user `owner` names: their external id (preferred) or user id; 400 when there is none. */
async function findUser(trx: Kysely<DB>, owner: string): Promise<string> {
  const user = await findNamedUser(trx, owner);
  if (!user) {
    throw invalidField(
      'owner',
      'No user has that id: `owner` is a user’s external id (a platform token’s `sub`, or a personal customer) or user id.',
      'Owner must be an existing user',
    );
  }
  return user;
}

/** Makes `userId` an owner of the organisation: added, or promoted from admin or member. */
async function makeOwner(scope: { trx: Kysely<DB>; now: number }, orgId: string, userId: string) {
  const { trx, now } = scope;
  await lockOrg(trx, orgId, now);
  const member = await trx
    .selectFrom('account_members')
    .select('role')
    .where('account_id', '=', orgId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (member?.role === 'owner') return;
  if (member) {
    await trx
      .updateTable('account_members')
      .set({ role: 'owner', updated_at: now })
      .where('account_id', '=', orgId)
      .where('user_id', '=', userId)
      .execute();
  } else {
    await addMember(trx, orgId, userId, 'owner', now);
  }
  await recordAudit(
    trx,
    {
      actorId: null,
      action: 'organization.member_update',
      targetType: 'account',
      targetId: orgId,
      details: { userId, from: { role: member?.role ?? null }, to: { role: 'owner' }, via: 'service_api' },
    },
    now,
  );
}

/** The account of a customer (personal or an organisation), or null when there is none. */
export async function findCustomer(db: Kysely<DB>, externalId: string): Promise<{ id: string; role: string } | null> {
  const row = await db
    .selectFrom('accounts as a')
    .leftJoin('users as u', 'u.id', 'a.id')
    .select(['a.id', 'u.role'])
    .where('a.external_id', '=', externalId)
    .executeTakeFirst();
  // An organisation has no role of its own: never the unlimited super_admin.
  return row ? { id: row.id, role: row.role ?? 'user' } : null;
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
