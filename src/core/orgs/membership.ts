/**
 * Who may do what on an account. A personal account is its user's alone (role `owner`); an
 * organisation's members have the role of their account_members row. Read from the
 * database on every call (no cache), so a member removed on one instance is refused on
 * every other at its next request.
 *
 * Someone who is not a member is told the account does not exist (404, as for any object
 * that is not theirs); a member without the role for an action gets 403 `forbidden`.
 */
import type { Kysely } from 'kysely';
import type { AccountKind, DB, MemberRole } from '../../db/schema.js';
import { DomainError, conflict, notFound } from '../errors.js';

export interface Membership {
  accountId: string;
  kind: AccountKind;
  name: string;
  externalId: string | null;
  role: MemberRole;
  /** The member's monthly limit on an organisation (null: none; always null on a personal account). */
  monthlyLimitMc: number | null;
}

/** The caller's membership of `accountId`, or null when they may not act on it. */
export async function findMembership(db: Kysely<DB>, accountId: string, userId: string): Promise<Membership | null> {
  const row = await db
    .selectFrom('accounts as a')
    .leftJoin('account_members as m', (j) => j.onRef('m.account_id', '=', 'a.id').on('m.user_id', '=', userId))
    .select(['a.id', 'a.kind', 'a.name', 'a.external_id', 'm.role', 'm.monthly_limit_mc'])
    .where('a.id', '=', accountId)
    .executeTakeFirst();
  if (!row) return null;
  if (row.kind === 'personal') {
    return row.id === userId
      ? { accountId: row.id, kind: row.kind, name: row.name, externalId: row.external_id, role: 'owner', monthlyLimitMc: null }
      : null;
  }
  if (!row.role) return null;
  return {
    accountId: row.id,
    kind: row.kind,
    name: row.name,
    externalId: row.external_id,
    role: row.role,
    monthlyLimitMc: row.monthly_limit_mc ?? null,
  };
}

/** The caller's membership of an organisation; 404 when it is not one or they are not in it. */
export async function requireOrgMember(db: Kysely<DB>, orgId: string, userId: string): Promise<Membership> {
  const m = await findMembership(db, orgId, userId);
  if (!m || m.kind !== 'organization') throw notFound('Organisation');
  return m;
}

export const isManager = (role: MemberRole) => role === 'owner' || role === 'admin';

/** An owner or admin of the organisation; 404 for outsiders, 403 `forbidden` for a plain member. */
export async function requireOrgManager(db: Kysely<DB>, orgId: string, userId: string): Promise<Membership> {
  const m = await requireOrgMember(db, orgId, userId);
  if (!isManager(m.role)) throw forbiddenForMember();
  return m;
}

export const forbiddenForMember = (what = 'this') =>
  new DomainError('forbidden', `Only an owner or admin of the organisation may do ${what}.`);

/** The calendar month (UTC) of a time, as member_month_usage stores it: 'YYYY-MM'. */
export function usageMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

// ---- The rules of changing members (update-member.ts, remove-member.ts) ----

/** Touches the organisation's account row: on PostgreSQL it stays locked until the commit, so membership changes of one organisation are decided one after the other. */
export async function lockOrg(trx: Kysely<DB>, orgId: string, now: number) {
  await trx.updateTable('accounts').set({ updated_at: now }).where('id', '=', orgId).execute();
}

export async function ownerCount(trx: Kysely<DB>, orgId: string): Promise<number> {
  const r = await trx
    .selectFrom('account_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', orgId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The member row of `userId`; 404 when they are not a member. */
export async function targetOf(trx: Kysely<DB>, orgId: string, userId: string) {
  const t = await trx
    .selectFrom('account_members')
    .selectAll()
    .where('account_id', '=', orgId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!t) throw notFound('Member');
  return t;
}

export const lastOwner = () =>
  conflict('The organisation\u2019s last owner cannot be removed or demoted: make another member owner first.');
export const ownersOnly = () =>
  new DomainError('forbidden', "Only an owner may give or take the owner role, change an owner's limit, or remove an owner.");

/** Adds `userId` to the organisation with `role` and no monthly limit (in the caller's transaction). */
export async function addMember(trx: Kysely<DB>, accountId: string, userId: string, role: MemberRole, now: number): Promise<void> {
  await trx
    .insertInto('account_members')
    .values({ account_id: accountId, user_id: userId, role, monthly_limit_mc: null, created_at: now, updated_at: now })
    .execute();
}
