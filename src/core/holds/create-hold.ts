import { newId } from '../ids.js';
import type { Core } from '../index.js';
import type { Applied, IdempotencyInput } from '../ledger/types.js';

export interface CreateHoldInput {
  userId: string;
  /** The organisation member who places it (their limit counts it from now); null: none. */
  memberId?: string | null | undefined;
  apiKeyId: string;
  operation: string;
  unit: string;
  /** Base quantity in thousandths. */
  quantityMilli: number;
  ttlSeconds: number;
  idem?: IdempotencyInput | undefined;
}

/**
 * Reserves the cost of `quantity` (priced now, and captured later at this same price) until
 * `ttlSeconds` from now; 402 (insufficient_credits) when the customer cannot afford it. The
 * hold is a ledger reservation (the writer's `reserve`) plus its `service_holds` row, written
 * in the same transaction.
 */
export async function createHold(core: Core, input: CreateHoldInput): Promise<{ applied: Applied; expiresAt: number; amountMc: number }> {
  const { rule, costMc } = await core.pricing.price(input.operation, input.unit, input.quantityMilli);
  const now = core.now();
  const expiresAt = now + input.ttlSeconds * 1000;
  const id = newId(now);
  const applied = await core.ledger.reserve(input.userId, costMc, expiresAt, {
    reservationId: id,
    memberId: input.memberId,
    idem: input.idem,
    description: `Hold: ${rule.description || input.operation} (${input.unit})`,
    pricing: { operation: input.operation, unit: input.unit, ruleId: rule.id, ruleCreditsMc: rule.credits_mc },
    metadata: { operation: input.operation, unit: input.unit, quantity: input.quantityMilli / 1000, holdId: id },
    effects: async (trx, outcome) => {
      await trx
        .insertInto('service_holds')
        .values({
          id: outcome.reservationId ?? id,
          user_id: input.userId,
          member_id: input.memberId ?? null,
          api_key_id: input.apiKeyId,
          quantity_milli: input.quantityMilli,
          created_at: outcome.createdAt,
        })
        .execute();
      return { expiresAt };
    },
  });
  // A replay answers the first hold's expiry (its stored reply carries it); here, for a fresh one.
  return {
    applied,
    expiresAt: (applied.effects as { expiresAt?: number } | undefined)?.expiresAt ?? expiresAt,
    amountMc: applied.reservedChangeMc,
  };
}
