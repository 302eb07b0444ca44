import type { Kysely } from 'kysely';
import type { DB, PackageRow } from '../../db/schema.js';

/** The packages, cheapest first: the active ones for sale, or every one (admins). */
export async function listPackages(db: Kysely<DB>, opts: { includeInactive: boolean }): Promise<PackageRow[]> {
  let q = db.selectFrom('credit_packages').selectAll();
  if (!opts.includeInactive) q = q.where('active', '=', 1);
  return q.orderBy('price_cents').orderBy('id').execute();
}
