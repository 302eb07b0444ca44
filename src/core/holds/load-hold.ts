import type { Kysely } from 'kysely';
import type { DB, ReservationStatus } from '../../db/schema.js';
import { notFound } from '../errors.js';

export interface HoldRow {
  id: string;
  userId: string;
  status: ReservationStatus;
  amountMc: number;
  expiresAt: number;
  operation: string | null;
  unit: string | null;
  ruleId: string | null;
  ruleCreditsMc: number | null;
}

/**
 * A hold made through the service API: its `service_holds` row and the ledger reservation
 * that is the hold itself (amount, status, expiry). Another reservation (a call's hold) is
 * not found here.
 */
export async function loadHold(db: Kysely<DB>, id: string): Promise<HoldRow> {
  const r = await db
    .selectFrom('service_holds as h')
    .innerJoin('reservations as r', 'r.id', 'h.id')
    .select(['r.id', 'r.user_id', 'r.status', 'r.amount_mc', 'r.expires_at', 'r.operation', 'r.unit', 'r.rule_id', 'r.rule_credits_mc'])
    .where('h.id', '=', id)
    .executeTakeFirst();
  if (!r) throw notFound('Hold');
  return {
    id: r.id,
    userId: r.user_id,
    status: r.status,
    amountMc: r.amount_mc,
    expiresAt: r.expires_at,
    operation: r.operation,
    unit: r.unit,
    ruleId: r.rule_id,
    ruleCreditsMc: r.rule_credits_mc,
  };
}

/** The contract's word for a reservation status. */
export function holdStatus(s: ReservationStatus): 'held' | 'captured' | 'released' | 'expired' {
  return s === 'active' ? 'held' : s;
}
