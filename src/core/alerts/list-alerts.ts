import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type Page, type PageRequest, paginate } from '../paginate.js';

/** A user's in-app alerts, newest first, and how many are still unread. */
export async function listAlerts(db: Kysely<DB>, userId: string, page: PageRequest) {
  const alerts = await paginate(db.selectFrom('credit_alerts').selectAll().where('user_id', '=', userId), 'id', (a) => a.id, page);
  const unread = await db
    .selectFrom('credit_alerts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('read', '=', 0)
    .executeTakeFirstOrThrow();
  return { ...alerts, unread: Number(unread.n) } satisfies Page<unknown> & { unread: number };
}
