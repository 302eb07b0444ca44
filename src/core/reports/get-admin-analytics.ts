import { type Kysely, sql } from 'kysely';
import { SALES_PREDICATE } from '../../db/migrations/023-index-predicates-without-in.js';
import type { DB } from '../../db/schema.js';
import { DAY_MS, type UsageRange, type UsageReport, accountsActiveInHour, getUsage, rangeParts, usageRange } from '../usage/get-usage.js';

export interface PackageRevenue {
  packageId: string;
  name: string;
  /** Paid payments of the package made in the range. */
  payments: number;
  /** Their amounts, less the refunds and lost disputes of the package's payments in the range. */
  revenueCents: number;
}

export interface AccountUsage {
  accountId: string;
  name: string;
  usedMc: number;
}

export interface AdminAnalytics {
  range: UsageRange;
  /**
   * Paid payments' amounts on the day of the payment, less refunds on the day of the refund and
   * lost disputes on the day they were lost.
   */
  revenueCents: number;
  /** Refunds recorded in the range (of paid payments, whatever their day). */
  refundsCents: number;
  /** Disputes lost in the range (their disputed amounts). */
  disputesCents: number;
  /** Credits (and bonuses) granted by payments, less those refunds and lost disputes took back, each on its day. */
  soldMc: number;
  usage: UsageReport;
  /** Accounts (users and organisations) with usage in the range. */
  activeUsers: number;
  payments: { succeeded: number; failed: number };
  /** Net revenue, refunds and lost disputes by UTC day (the usage series' buckets). */
  revenueByDay: Map<number, number>;
  refundsByDay: Map<number, number>;
  disputesByDay: Map<number, number>;
  byPackage: PackageRevenue[];
  /** The ten accounts that used the most credits in the range. */
  topAccounts: AccountUsage[];
}

const dayOf = (t: number) => t - (t % DAY_MS);
const paid = (status: string) => status !== 'pending' && status !== 'failed';

/** Revenue, refunds, disputes, credits sold and used, active users and payments over `from`..`to` (default: the last 30 days), by day. */
export async function getAdminAnalytics(
  db: Kysely<DB>,
  now: number,
  q: { from?: number | undefined; to?: number | undefined },
): Promise<AdminAnalytics> {
  const range = usageRange(now, { from: q.from, to: q.to, granularity: 'day' });
  const used = usedByAccount(db, range);
  const [usage, pays, reversals, sales, active, top, packages] = await Promise.all([
    getUsage(db, null, range),
    db
      .selectFrom('stripe_payments')
      .select(['status', 'package_id', 'amount_cents', 'created_at'])
      .where('created_at', '>=', range.from)
      .where('created_at', '<', range.to)
      .execute(),
    // Money out of a payment in the range, whatever the payment's day; only of payments that were paid.
    db
      .selectFrom('payment_reversals as r')
      .innerJoin('stripe_payments as p', 'p.id', 'r.payment_id')
      .select(['r.kind', 'r.amount_cents', 'r.created_at', 'p.package_id', 'p.status'])
      .where('r.created_at', '>=', range.from)
      .where('r.created_at', '<', range.to)
      .execute(),
    // Rows that sell credits (positive) or take sold credits back (negative), with the same
    // predicate as the partial index credit_transactions_sales (migrations 018 and 023).
    db
      .selectFrom('credit_transactions')
      .select((eb) => eb.fn.sum<number>('amount_mc').as('mc'))
      .where(sql.raw<boolean>(SALES_PREDICATE))
      .where('created_at', '>=', range.from)
      .where('created_at', '<', range.to)
      .executeTakeFirst(),
    used
      ? db
          .selectFrom(used.as('p'))
          .select((eb) => eb.fn.count<number>('p.user_id').distinct().as('n'))
          .executeTakeFirst()
      : undefined,
    used
      ? db
          .selectFrom(used.as('p'))
          .innerJoin('accounts as a', 'a.id', 'p.user_id')
          .select((eb) => ['p.user_id', 'a.name', eb.fn.sum<number>('p.mc').as('mc')])
          .groupBy(['p.user_id', 'a.name'])
          .having((eb) => eb.fn.sum('p.mc'), '>', 0)
          .orderBy('mc', 'desc')
          .orderBy('p.user_id')
          .limit(10)
          .execute()
      : [],
    db.selectFrom('credit_packages').select(['id', 'name']).execute(),
  ]);
  const revenueByDay = new Map<number, number>();
  const refundsByDay = new Map<number, number>();
  const disputesByDay = new Map<number, number>();
  const add = (m: Map<number, number>, t: number, cents: number) => m.set(dayOf(t), (m.get(dayOf(t)) ?? 0) + cents);
  const byPackage = new Map<string, { payments: number; revenueCents: number }>();
  const pkg = (id: string) => {
    let e = byPackage.get(id);
    if (!e) byPackage.set(id, (e = { payments: 0, revenueCents: 0 }));
    return e;
  };
  const paidPayments = pays.filter((p) => paid(p.status));
  let revenueCents = 0;
  for (const p of paidPayments) {
    revenueCents += p.amount_cents;
    add(revenueByDay, p.created_at, p.amount_cents);
    const e = pkg(p.package_id);
    e.payments += 1;
    e.revenueCents += p.amount_cents;
  }
  let refundsCents = 0;
  let disputesCents = 0;
  for (const r of reversals) {
    if (!paid(r.status)) continue;
    const cents = Number(r.amount_cents);
    if (r.kind === 'refund') refundsCents += cents;
    else disputesCents += cents;
    add(r.kind === 'refund' ? refundsByDay : disputesByDay, Number(r.created_at), cents);
    revenueCents -= cents;
    add(revenueByDay, Number(r.created_at), -cents);
    pkg(r.package_id).revenueCents -= cents;
  }
  const names = new Map(packages.map((p) => [p.id, p.name]));
  return {
    range,
    revenueCents,
    refundsCents,
    disputesCents,
    soldMc: Number(sales?.mc ?? 0),
    usage,
    activeUsers: Number(active?.n ?? 0),
    payments: { succeeded: paidPayments.length, failed: pays.filter((p) => p.status === 'failed').length },
    revenueByDay,
    refundsByDay,
    disputesByDay,
    byPackage: [...byPackage.entries()]
      .map(([packageId, e]) => ({ packageId, name: names.get(packageId) ?? packageId, ...e }))
      .sort((a, b) => b.revenueCents - a.revenueCents || a.name.localeCompare(b.name)),
    topAccounts: top.map((t) => ({ accountId: t.user_id, name: t.name, usedMc: Number(t.mc) })),
  };
}

/**
 * What each account used over exactly [from, to), as a subquery of (user_id, mc) rows: the
 * rollups of the whole hours and the usage rows of the part-hours at the ends, as the usage
 * report reads them; every kind of account (organisations too). Undefined for an empty range.
 */
function usedByAccount(db: Kysely<DB>, r: { from: number; to: number }) {
  const { whole, edges } = rangeParts(r);
  const parts = [
    ...(whole
      ? [
          db
            .selectFrom('usage_rollups')
            .select((eb) => ['user_id', eb.fn.sum<number>('credits_mc').as('mc')])
            .where('bucket', '>=', whole[0])
            .where('bucket', '<', whole[1])
            .groupBy('user_id'),
        ]
      : []),
    ...edges.map(([lo, hi]) =>
      db
        .selectFrom('usage_tracking')
        .select((eb) => ['user_id', eb.fn.sum<number>('charged_mc').as('mc')])
        .where('created_at', '>=', lo)
        .where('created_at', '<', hi)
        .where('user_id', 'in', accountsActiveInHour(db, lo))
        .groupBy('user_id'),
    ),
  ];
  const [first, ...rest] = parts;
  return first ? rest.reduce((u, q) => u.unionAll(q), first) : undefined;
}
