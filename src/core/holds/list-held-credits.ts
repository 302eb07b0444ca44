import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { type Page, type PageRequest, mapPage, paginate } from '../paginate.js';

/** What a hold is for: a call's minutes, a service API hold, or a disputed payment's credits. */
export type HeldKind = 'call' | 'service' | 'dispute';

export interface HeldCredits {
  id: string;
  kind: HeldKind;
  description: string;
  operation: string | null;
  unit: string | null;
  amountMc: number;
  createdAt: number;
  /** null: no expiry (a dispute's hold waits for the dispute's outcome). */
  expiresAt: number | null;
  /** The call's public id (VAPI's, or ours before VAPI named it). */
  callId: string | null;
}

/** Later than any date a hold can really expire at: a hold with no expiry is stored with one this far. */
const NO_EXPIRY = 8.64e15;

/**
 * The holds on a user's balance that are still held (the `reserved` credits, one by one),
 * newest first. Calls, service API holds and dispute holds are one machinery, the ledger's
 * reservations; the call or service hold row that names one says what it is for.
 */
export async function listHeldCredits(db: Kysely<DB>, userId: string, page: PageRequest): Promise<Page<HeldCredits>> {
  const query = db
    .selectFrom('reservations as r')
    .leftJoin('vapi_calls as c', 'c.reservation_id', 'r.id')
    .leftJoin('service_holds as s', 's.id', 'r.id')
    .select([
      'r.id',
      'r.description',
      'r.operation',
      'r.unit',
      'r.amount_mc',
      'r.created_at',
      'r.expires_at',
      'r.forced',
      'c.id as call_id',
      'c.vapi_id as call_vapi_id',
      's.id as service_hold_id',
    ])
    .where('r.user_id', '=', userId)
    .where('r.status', '=', 'active');
  const rows = await paginate(query, 'r.id', (r) => r.id, page);
  return mapPage(rows, (r) => ({
    id: r.id,
    kind: r.call_id !== null ? 'call' : r.service_hold_id !== null ? 'service' : 'dispute',
    description: r.description,
    operation: r.operation ?? (r.call_id !== null ? 'vapi_call' : null),
    unit: r.unit,
    amountMc: r.amount_mc,
    createdAt: r.created_at,
    expiresAt: r.expires_at >= NO_EXPIRY ? null : r.expires_at,
    callId: r.call_id === null ? null : (r.call_vapi_id ?? r.call_id),
  }));
}
