import type { Kysely } from 'kysely';
import type { AccountKind, DB, MemberRole } from '../../db/schema.js';

export interface AccountItem {
  id: string;
  kind: AccountKind;
  name: string;
  role: MemberRole;
  externalId: string | null;
}

/** The accounts a user may act on: their personal account first, then their organisations by name. */
export async function listAccounts(db: Kysely<DB>, userId: string): Promise<AccountItem[]> {
  const [personal, orgs] = await Promise.all([
    db.selectFrom('accounts').select(['id', 'kind', 'name', 'external_id']).where('id', '=', userId).executeTakeFirst(),
    db
      .selectFrom('account_members as m')
      .innerJoin('accounts as a', 'a.id', 'm.account_id')
      .select(['a.id', 'a.kind', 'a.name', 'a.external_id', 'm.role'])
      .where('m.user_id', '=', userId)
      .orderBy('a.name')
      .orderBy('a.id')
      .execute(),
  ]);
  const items: AccountItem[] = [];
  if (personal) items.push({ id: personal.id, kind: personal.kind, name: personal.name, role: 'owner', externalId: personal.external_id });
  for (const o of orgs) items.push({ id: o.id, kind: o.kind, name: o.name, role: o.role, externalId: o.external_id });
  return items;
}
