import type { SelectQueryBuilder } from 'kysely';
import { BOOKS_CURRENCY } from '../../contracts/admin.js';
import type { DB } from '../../db/schema.js';

/**
 * Packages that can be bought (listed publicly, purchased, chosen for auto-recharge): active,
 * and priced in the books' currency. One in another currency, left from a release before
 * 6 December, is not sold: its cents would be added to the dollars of the analytics and the
 * liability. Admins still see it, to change or deactivate it.
 */
export function forSale<O>(q: SelectQueryBuilder<DB, 'credit_packages', O>): SelectQueryBuilder<DB, 'credit_packages', O> {
  return q.where('active', '=', 1).where('currency', '=', BOOKS_CURRENCY);
}
