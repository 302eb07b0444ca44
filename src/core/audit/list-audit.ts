import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type PageRequest, paginate } from '../paginate.js';

/** The audit log, newest first. */
export async function listAudit(db: Kysely<DB>, page: PageRequest) {
  return paginate(db.selectFrom('audit_log').selectAll(), 'id', (a) => a.id, page);
}
