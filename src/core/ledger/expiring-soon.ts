import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import { GRANT_IS_OPEN } from '../../db/migrations/026-grants-open-flag.js';

/** How far ahead the balance's `expiringSoon` looks. */
export const EXPIRING_SOON_MS = 30 * 86_400_000;

/** The credits of an account's grants that expire within the next 30 days, and the earliest such expiry. */
export interface ExpiringSoon {
  /** Millicredits. */
  creditsMc: number;
  /** Unix ms; null when nothing expires within 30 days. */
  at: number | null;
}

export const NOTHING_EXPIRING: ExpiringSoon = { creditsMc: 0, at: null };

/**
 * What of an account's balance expires within 30 days of `now`: the remaining credits of its
 * grants not expired yet whose `expiresAt` falls before then (a grant already due that the
 * sweeper has not reached yet counts too: it leaves the balance within seconds). One query
 * on the account's open grants (the partial index `grants_open`), run when a balance is read,
 * never by the ledger writer.
 */
export async function expiringSoon(db: Kysely<DB>, userId: string, now = Date.now()): Promise<ExpiringSoon> {
  const row = await db
    .selectFrom('grants')
    .select([sql<string | number | null>`sum(remaining_mc)`.as('credits'), sql<string | number | null>`min(expires_at)`.as('at')])
    .where('user_id', '=', userId)
    // The partial index's predicate as written (migration 026), so both databases match it.
    .where(sql.raw<boolean>(GRANT_IS_OPEN))
    .where('expired_at', 'is', null)
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', now + EXPIRING_SOON_MS)
    .executeTakeFirst();
  const creditsMc = Number(row?.credits ?? 0);
  if (!creditsMc) return NOTHING_EXPIRING;
  return { creditsMc, at: Number(row?.at) };
}
