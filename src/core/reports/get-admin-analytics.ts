import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DAY_MS, type UsageRange, type UsageReport, getUsage, usageRange } from '../usage/get-usage.js';

export interface AdminAnalytics {
  range: UsageRange;
  /** Paid payments' amounts net of their refunds, by the day of the payment. */
  revenueCents: number;
  /** Credits (and bonuses) the paid payments granted. */
  soldMc: number;
  usage: UsageReport;
  /** Users with usage in the range. */
  activeUsers: number;
  payments: { succeeded: number; failed: number };
  /** Revenue by UTC day (the usage series' buckets). */
  revenueByDay: Map<number, number>;
}

/** Revenue, credits sold and used, active users and payments over `from`..`to` (default: the last 30 days), by day. */
export async function getAdminAnalytics(
  db: Kysely<DB>,
  now: number,
  q: { from?: number | undefined; to?: number | undefined },
): Promise<AdminAnalytics> {
  const range = usageRange(now, { from: q.from, to: q.to, granularity: 'day' });
  const [usage, pays, active] = await Promise.all([
    getUsage(db, null, range),
    db
      .selectFrom('stripe_payments')
      .select(['status', 'amount_cents', 'refunded_cents', 'credits_mc', 'bonus_credits_mc', 'created_at'])
      .where('created_at', '>=', range.from)
      .where('created_at', '<', range.to)
      .execute(),
    db
      .selectFrom('usage_rollups')
      .select((eb) => eb.fn.count<number>('user_id').distinct().as('n'))
      .where('bucket', '>=', range.from - (range.from % 3_600_000))
      .where('bucket', '<', range.to)
      .executeTakeFirst(),
  ]);
  const paid = pays.filter((p) => p.status !== 'pending' && p.status !== 'failed');
  const revenueByDay = new Map<number, number>();
  for (const p of paid) {
    const d = p.created_at - (p.created_at % DAY_MS);
    revenueByDay.set(d, (revenueByDay.get(d) ?? 0) + p.amount_cents - p.refunded_cents);
  }
  return {
    range,
    revenueCents: paid.reduce((s, p) => s + p.amount_cents - p.refunded_cents, 0),
    soldMc: paid.reduce((s, p) => s + p.credits_mc + p.bonus_credits_mc, 0),
    usage,
    activeUsers: Number(active?.n ?? 0),
    payments: { succeeded: paid.length, failed: pays.filter((p) => p.status === 'failed').length },
    revenueByDay,
  };
}
