import type { Kysely } from 'kysely';
import type { DB, Role, UserRow } from '../../db/schema.js';
import { notFound } from '../errors.js';
import { ACCOUNT_FIGURE_COLUMNS, type AccountFigures } from './account-figures.js';

/** A user with the figures of their account, as the admin screens list them. */
export interface UserWithAccount extends AccountFigures {
  id: string;
  email: string;
  name: string;
  role: Role;
  external_id: string | null;
  created_at: number;
}

/** Users joined with their accounts (the query list-users pages and get-user-detail narrows). */
export function usersWithAccounts(db: Kysely<DB>) {
  return db
    .selectFrom('users as u')
    .innerJoin('user_credits as c', 'c.user_id', 'u.id')
    .select(['u.id', 'u.email', 'u.name', 'u.role', 'u.external_id', 'u.created_at', ...ACCOUNT_FIGURE_COLUMNS]);
}

/** One user; not_found when there is none. */
export async function getUser(db: Kysely<DB>, id: string): Promise<UserRow> {
  const user = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!user) throw notFound('User');
  return user;
}

/** One user with their account's figures; not_found when there is none. */
export async function getUserWithAccount(db: Kysely<DB>, id: string): Promise<UserWithAccount> {
  const user = await usersWithAccounts(db).where('u.id', '=', id).executeTakeFirst();
  if (!user) throw notFound('User');
  return user;
}
