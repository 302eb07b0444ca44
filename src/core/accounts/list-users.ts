import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';
import { type UserWithAccount, usersWithAccounts } from './get-user.js';

function escapeLike(s: string) {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Users with their balances, newest first; `search` matches email or name, case-insensitively. */
export async function listUsers(
  db: Kysely<DB>,
  filter: { search?: string | undefined },
  page: PageRequest,
): Promise<Page<UserWithAccount>> {
  let q = usersWithAccounts(db);
  if (filter.search) {
    const like = `%${escapeLike(filter.search.toLowerCase())}%`;
    q = q.where((eb) =>
      eb.or([eb(sql`lower(u.email)`, 'like', sql`${like} escape '\\'`), eb(sql`lower(u.name)`, 'like', sql`${like} escape '\\'`)]),
    );
  }
  return paginate(q, 'u.id', (u) => u.id, page);
}
