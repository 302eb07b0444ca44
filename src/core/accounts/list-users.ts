import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';
import { containsPattern } from './account-figures.js';
import { type UserWithAccount, usersWithAccounts } from './get-user.js';

/** Users with their balances, newest first; `search` matches email or name, case-insensitively. */
export async function listUsers(
  db: Kysely<DB>,
  filter: { search?: string | undefined },
  page: PageRequest,
): Promise<Page<UserWithAccount>> {
  let q = usersWithAccounts(db);
  if (filter.search) {
    const like = containsPattern(filter.search);
    q = q.where((eb) => eb.or([eb(sql`lower(u.email)`, 'like', like), eb(sql`lower(u.name)`, 'like', like)]));
  }
  return paginate(q, 'u.id', (u) => u.id, page);
}
