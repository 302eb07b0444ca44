import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { notFound } from '../errors.js';

/** Marks one of the user's alerts read; another user's alert is not_found. */
export async function markAlertRead(db: Kysely<DB>, userId: string, id: string): Promise<void> {
  const r = await db.updateTable('credit_alerts').set({ read: 1 }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw notFound('Alert');
}
