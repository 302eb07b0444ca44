import type { Kysely } from 'kysely';
import type { DB, PackageRow } from '../../db/schema.js';

/**
 * The packages, cheapest first: the active ones for sale, or every one (admins). Prices in
 * different currencies do not compare, so packages are grouped by currency (in its code's
 * order) and sorted by price within it; with one currency, as usual, that is cheapest first.
 */
export async function listPackages(db: Kysely<DB>, opts: { includeInactive: boolean }): Promise<PackageRow[]> {
  let q = db.selectFrom('credit_packages').selectAll();
  if (!opts.includeInactive) q = q.where('active', '=', 1);
  return q.orderBy('currency').orderBy('price_cents').orderBy('id').execute();
}
