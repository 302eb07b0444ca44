import type { Kysely } from 'kysely';
import type { ApiKeysTable, DB } from '../../db/schema.js';

/** Every key, revoked ones too, newest first. */
export function listApiKeys(db: Kysely<DB>): Promise<ApiKeysTable[]> {
  return db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}
