import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

/** Whether the service still needs its first super admin (the `/setup` page's question). */
export async function getSetupStatus(db: Kysely<DB>): Promise<{ required: boolean }> {
  const admin = await db.selectFrom('users').select('id').where('role', '=', 'super_admin').executeTakeFirst();
  return { required: !admin };
}
