/**
 * What the prepaid credits outstanding are worth (GET /api/admin/liability): every grant's
 * remaining credits at a moment, valued at the price the grant was bought at.
 *
 * - A grant's remaining credits at `asOf` are the sum of its movements up to then
 *   (grant_movements, written by the ledger writer with each ledger row; migration 020).
 * - Its value is `value_cents` (what its credits were bought for: a purchase's price, 0 for
 *   bonus, sign-up, promo and adjustment credits; a usage reversal's credits what the reversed
 *   charge's credits were worth) spread over its `credits_mc`: remaining x value / credits,
 *   rounded half up to a cent per grant, so a grant wholly outstanding is worth its price
 *   exactly. Held credits (reserved by a hold) are still outstanding: the customer has not
 *   spent them yet.
 * - Expiring in the next 30 days: of those, the grants whose `expiresAt` is at most 30 days
 *   after `asOf` (a grant already due that the sweeper had not reached counts too).
 * - Expired in the period: the `expiry` ledger rows of `from`..`to` (to exclusive), each
 *   valued at its grant's price.
 */
import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import { valueOfCredits } from '../ledger/grants.js';
import { checkRangeOrder } from '../time-range.js';

export const DAY_MS = 86_400_000;

export interface Figure {
  creditsMc: number;
  valueCents: number;
}

export interface Liability {
  /** The moment of the figures (Unix ms, inclusive). */
  asOf: number;
  /** The period of `expired` (Unix ms, from inclusive, to exclusive). */
  from: number;
  to: number;
  outstanding: Figure;
  expiringNext30Days: Figure;
  expired: Figure;
}

/** The first moment of the UTC calendar month of `t`. */
export function monthStart(t: number): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * The figures at `asOf` (inclusive); the expired ones over `from`..`to` (default: the
 * calendar month of `asOf`, up to `asOf`: what had expired by then).
 */
export async function getLiability(
  db: Kysely<DB>,
  q: { asOf: number; from?: number | undefined; to?: number | undefined },
): Promise<Liability> {
  checkRangeOrder(q.from, q.to);
  const asOf = q.asOf;
  const from = q.from ?? monthStart(asOf);
  const to = q.to ?? asOf + 1;
  const [open, expiries] = await Promise.all([
    db
      .selectFrom('grant_movements as m')
      .innerJoin('grants as g', 'g.id', 'm.grant_id')
      .select(['g.id', 'g.value_cents', 'g.credits_mc', 'g.expires_at'])
      .select(sql<string>`sum(m.amount_mc)`.as('mc'))
      .where('m.created_at', '<=', asOf)
      .groupBy(['g.id', 'g.value_cents', 'g.credits_mc', 'g.expires_at'])
      .having(sql<boolean>`sum(m.amount_mc) <> 0`)
      .execute(),
    db
      .selectFrom('credit_transactions as t')
      .innerJoin('grants as g', (j) => j.onRef('g.id', '=', 't.reference_id').onRef('g.user_id', '=', 't.user_id'))
      .select(['g.id', 'g.value_cents', 'g.credits_mc'])
      .select(sql<string>`sum(-t.amount_mc)`.as('mc'))
      .where('t.type', '=', 'expiry')
      .where('t.reference_type', '=', 'grant')
      .where('t.created_at', '>=', from)
      .where('t.created_at', '<', to)
      .groupBy(['g.id', 'g.value_cents', 'g.credits_mc'])
      .execute(),
  ]);
  const outstanding: Figure = { creditsMc: 0, valueCents: 0 };
  const soon: Figure = { creditsMc: 0, valueCents: 0 };
  for (const g of open) {
    const mc = Number(g.mc);
    const value = valueOfCredits(mc, Number(g.value_cents), Number(g.credits_mc));
    outstanding.creditsMc += mc;
    outstanding.valueCents += value;
    if (g.expires_at !== null && Number(g.expires_at) <= asOf + 30 * DAY_MS) {
      soon.creditsMc += mc;
      soon.valueCents += value;
    }
  }
  const expired: Figure = { creditsMc: 0, valueCents: 0 };
  for (const e of expiries) {
    const mc = Number(e.mc);
    expired.creditsMc += mc;
    expired.valueCents += valueOfCredits(mc, Number(e.value_cents), Number(e.credits_mc));
  }
  return { asOf, from, to, outstanding, expiringNext30Days: soon, expired };
}
