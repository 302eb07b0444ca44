import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type PageRequest, paginate } from '../paginate.js';

/** An account's grants, newest first; `active`: only those with credits left that have not expired. */
export async function listGrants(db: Kysely<DB>, userId: string, page: PageRequest, active = false) {
  let q = db.selectFrom('grants').selectAll().where('user_id', '=', userId);
  if (active) q = q.where('remaining_mc', '>', 0).where('expired_at', 'is', null);
  return paginate(q, 'id', (g) => g.id, page);
}
