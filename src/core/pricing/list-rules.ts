import type { Kysely } from 'kysely';
import type { DB, PricingRow } from '../../db/schema.js';
import type { PricingCache } from './rules.js';

/** Every rule with all its versions (admins): by operation and unit, newest version first. */
export async function listRules(db: Kysely<DB>): Promise<PricingRow[]> {
  return db.selectFrom('credit_pricing').selectAll().orderBy('operation').orderBy('unit').orderBy('version', 'desc').execute();
}

/** The current prices: the active version of each rule, by operation and unit. */
export async function listActiveRules(pricing: PricingCache): Promise<PricingRow[]> {
  return [...(await pricing.active())].sort((a, b) => a.operation.localeCompare(b.operation) || a.unit.localeCompare(b.unit));
}
