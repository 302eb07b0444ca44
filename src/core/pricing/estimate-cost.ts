import type { Core } from '../index.js';
import { memberSpending } from '../orgs/member-spending.js';
import { withinLimit } from '../ledger/decide-members.js';

export interface Estimate {
  costMc: number;
  availableMc: number;
  /** Whether the available balance covers it (always, for an unlimited account), and the member's monthly limit, if any. */
  allowed: boolean;
}

/** Prices a quantity (thousandths of the unit's base quantity) by the active rule against the account's available credits; moves nothing. */
export async function estimateCost(
  core: Core,
  userId: string,
  q: { operation: string; unit: string; quantityMilli: number; unlimited: boolean; memberId?: string | null | undefined },
): Promise<Estimate> {
  const [{ costMc }, bal, m] = await Promise.all([
    core.pricing.price(q.operation, q.unit, q.quantityMilli),
    core.ledger.balance(userId),
    q.memberId ? memberSpending(core, userId, q.memberId) : undefined,
  ]);
  // The writer's check: what the member spent and holds this month, plus this, within their limit.
  const limitAllows = !m || withinLimit(m, costMc);
  return {
    costMc,
    availableMc: bal.availableMc,
    allowed: q.unlimited || (bal.availableMc >= costMc && bal.availableMc >= 0 && limitAllows),
  };
}
