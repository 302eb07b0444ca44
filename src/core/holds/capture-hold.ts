import { computeCostMc, isUnit } from '../../contracts/money.js';
import { conflict } from '../errors.js';
import type { Core } from '../index.js';
import type { Applied, IdempotencyInput } from '../ledger/types.js';
import { serviceUsageMetadata } from '../usage/usage-metadata.js';
import { holdStatus, loadHold } from './load-hold.js';

/**
 * Charges the cost of `quantity` at the hold's price, never more than the hold, and
 * releases the rest (the writer's `capture`, one `usage` row). A hold already captured,
 * released or past its expiry is 409 (conflict); of two captures at once, one wins.
 */
export async function captureHold(
  core: Core,
  input: { id: string; quantityMilli: number; metadata?: Record<string, unknown> | undefined; idem?: IdempotencyInput | undefined },
): Promise<{ applied: Applied; heldMc: number }> {
  const h = await loadHold(core.database.db, input.id);
  if (h.status !== 'active') throw conflict(`This hold is already ${holdStatus(h.status)}.`, { status: holdStatus(h.status) });
  if (h.expiresAt <= core.now()) throw conflict('This hold has expired.', { status: 'expired' });
  const unit = h.unit ?? '';
  const costMc = isUnit(unit) ? computeCostMc(h.ruleCreditsMc ?? 0, input.quantityMilli, unit) : 0;
  const operation = h.operation ?? 'hold';
  const applied = await core.ledger.capture(h.id, costMc, {
    userId: h.userId,
    idem: input.idem,
    description: `${operation} (${unit})`,
    metadata: serviceUsageMetadata({ operation, unit, quantityMilli: input.quantityMilli, metadata: input.metadata }, { holdId: h.id }),
    usage: {
      operation,
      unit,
      quantityMilli: input.quantityMilli,
      ruleId: h.ruleId,
      ruleCreditsMc: h.ruleCreditsMc ?? 0,
      costMc,
      metadata: input.metadata ?? null,
    },
  });
  return { applied, heldMc: h.amountMc };
}
