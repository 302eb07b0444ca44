import type { Core } from '../index.js';

export interface Estimate {
  costMc: number;
  availableMc: number;
  /** Whether the available balance covers it (always, for an unlimited account). */
  allowed: boolean;
}

/** Prices a quantity (thousandths of the unit's base quantity) by the active rule against the account's available credits; moves nothing. */
export async function estimateCost(
  core: Core,
  userId: string,
  q: { operation: string; unit: string; quantityMilli: number; unlimited: boolean },
): Promise<Estimate> {
  const [{ costMc }, bal] = await Promise.all([core.pricing.price(q.operation, q.unit, q.quantityMilli), core.ledger.balance(userId)]);
  return { costMc, availableMc: bal.availableMc, allowed: q.unlimited || (bal.availableMc >= costMc && bal.availableMc >= 0) };
}
