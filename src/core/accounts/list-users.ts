import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';
import { type ListSearch, contains } from './account-figures.js';
import { type UserWithAccount, usersWithAccounts } from './get-user.js';

/** Users with their balances, newest first; `search` matches email or name, case-insensitively. */
export async function listUsers(db: Kysely<DB>, { search }: ListSearch, page: PageRequest): Promise<Page<UserWithAccount>> {
  const users = usersWithAccounts(db);
  const q = search ? users.where((eb) => eb.or([contains('u.email', search), contains('u.name', search)])) : users;
  return paginate(q, 'u.id', (u) => u.id, page);
}
