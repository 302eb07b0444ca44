/**
 * The service API's `member`: who in an organisation customer caused a charge or hold. The
 * platform names its users by its own ids, so `member` is the user's external id (a
 * platform token's `sub`); a user the platform never named (built-in sign-up) may be named by
 * their user id. They must be a member of that organisation now, else 400 (the body names
 * someone who may not spend from it; the writer checks again in the charge's transaction,
 * and a member removed in between is refused there). On a personal customer, `member` is
 * omitted or the customer itself (its only holder), and no member is recorded.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DomainError } from '../errors.js';

const badMember = (message: string, detail: string) =>
  new DomainError('validation_error', message, { fields: [{ path: 'body.member', field: 'member', message: detail }] });

/** The member's user id on an organisation's account, null on a personal one (or without `member`). */
export async function resolveServiceMember(
  db: Kysely<DB>,
  accountId: string,
  customer: string,
  member: string | undefined,
): Promise<string | null> {
  if (member === undefined) return null;
  const account = await db.selectFrom('accounts').select('kind').where('id', '=', accountId).executeTakeFirst();
  if (account?.kind !== 'organization') {
    if (member === customer) return null;
    throw badMember(
      'This customer is a personal account: `member` must be omitted or be the customer itself.',
      'Member must be omitted for a personal customer',
    );
  }
  const user = await findNamedUser(db, member, accountId);
  if (!user) {
    throw badMember(
      'No member of this organisation has that id: `member` is a member’s external id (or user id).',
      'Member must be a member of the organisation',
    );
  }
  return user;
}

/**
 * The user `name` names: their external id (a platform token's `sub`), or their user id for a
 * user the platform never named; an external id wins over a user id that happens to be the
 * same text. With `memberOf`, only that organisation's members count. Null when there is none.
 */
export async function findNamedUser(db: Kysely<DB>, name: string, memberOf?: string): Promise<string | null> {
  let q = db
    .selectFrom('users as u')
    .select(['u.id', 'u.external_id'])
    .where((eb) => eb.or([eb('u.external_id', '=', name), eb('u.id', '=', name)]));
  if (memberOf !== undefined) {
    q = q.where((eb) =>
      eb.exists(
        eb.selectFrom('account_members as m').select('m.user_id').whereRef('m.user_id', '=', 'u.id').where('m.account_id', '=', memberOf),
      ),
    );
  }
  const found = await q.execute();
  return (found.find((u) => u.external_id === name) ?? found[0])?.id ?? null;
}
