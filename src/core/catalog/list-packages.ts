import type { Kysely } from 'kysely';
import type { DB, PackageRow } from '../../db/schema.js';
import { forSale } from './for-sale.js';

/**
 * The packages, cheapest first: the active ones for sale, or every one (admins). New packages
 * are all in the books' currency (contracts/admin.ts); one in another currency from a release
 * before 6 December is grouped apart (in its code's order), since prices in different
 * currencies do not compare.
 */
export async function listPackages(db: Kysely<DB>, opts: { includeInactive: boolean }): Promise<PackageRow[]> {
  let q = db.selectFrom('credit_packages').selectAll();
  if (!opts.includeInactive) q = q.$call(forSale);
  return q.orderBy('currency').orderBy('price_cents').orderBy('id').execute();
}
