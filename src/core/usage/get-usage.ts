import { type Kysely, sql } from 'kysely';
import type { DB, UsageRollupsTable } from '../../db/schema.js';
import { invalid } from '../errors.js';
import { checkRangeOrder } from '../time-range.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface UsageRange {
  from: number;
  to: number;
  granularity: 'day' | 'hour';
}

/** Bounds of a usage query: default the last 30 days up to and including now; hours at most 31 days, days at most 3 years. */
export function usageRange(
  now: number,
  q: { from?: number | undefined; to?: number | undefined; granularity: 'day' | 'hour' },
): UsageRange {
  // Without `to`, everything up to and including now: `to` is exclusive, so a charge made in the
  // very millisecond the report is asked for is in it (the 30 days are still counted from now).
  const to = q.to ?? now + 1;
  const last = q.to ?? now;
  const from = q.from ?? last - (last % DAY_MS) - 29 * DAY_MS;
  checkRangeOrder(from, to);
  const max = q.granularity === 'hour' ? 31 * DAY_MS : 3 * 366 * DAY_MS;
  if (to - from > max) {
    throw invalid(`That range is too long for ${q.granularity} buckets.`, {
      fields: [{ path: 'from', message: q.granularity === 'hour' ? 'at most 31 days by hour' : 'at most 3 years by day' }],
    });
  }
  return { from, to, granularity: q.granularity };
}

export interface UsageReport {
  totalMc: number;
  totalOperations: number;
  /** Each bucket's total, and its millicredits by operation (the operations used in it). */
  series: { bucket: number; mc: number; operations: number; byOperationMc: Record<string, number> }[];
  byOperation: { operation: string; unit: string; mc: number; operations: number; quantityMilli: number }[];
}

/**
 * Usage over [from, to) (usageGroups: the hourly rollups, and the usage rows of the
 * part-hours at the ends): a 90-day report reads at most 2,160 rollups per operation.
 * `userId` null means every user (admin analytics). Every bucket of the range is present,
 * empty ones with zeros.
 */
export async function getUsage(db: Kysely<DB>, userId: string | null, r: UsageRange): Promise<UsageReport> {
  const size = r.granularity === 'hour' ? HOUR_MS : DAY_MS;
  const rows = await usageGroups(db, userId, r);
  const series = new Map<number, { mc: number; operations: number; byOperationMc: Record<string, number> }>();
  const first = r.from - (r.from % size);
  for (let b = first; b < r.to; b += size) series.set(b, { mc: 0, operations: 0, byOperationMc: {} });
  const byOp = new Map<string, { operation: string; unit: string; mc: number; operations: number; quantityMilli: number }>();
  let totalMc = 0;
  let totalOperations = 0;
  for (const row of rows) {
    const s = series.get(row.bucket) ?? { mc: 0, operations: 0, byOperationMc: {} };
    s.mc += row.mc;
    s.operations += row.operations;
    if (row.mc !== 0 || row.operations !== 0) s.byOperationMc[row.operation] = (s.byOperationMc[row.operation] ?? 0) + row.mc;
    series.set(row.bucket, s);
    const k = `${row.operation}/${row.unit}`;
    const o = byOp.get(k) ?? { operation: row.operation, unit: row.unit, mc: 0, operations: 0, quantityMilli: 0 };
    o.mc += row.mc;
    o.operations += row.operations;
    o.quantityMilli += row.quantityMilli;
    byOp.set(k, o);
    totalMc += row.mc;
    totalOperations += row.operations;
  }
  return {
    totalMc,
    totalOperations,
    series: [...series.entries()].sort((a, b) => a[0] - b[0]).map(([bucket, v]) => ({ bucket, ...v })),
    byOperation: [...byOp.values()].sort((a, b) => b.mc - a.mc || a.operation.localeCompare(b.operation)),
  };
}

export interface UsageGroup {
  /** Start of the bucket (UTC day or hour), Unix ms. */
  bucket: number;
  operation: string;
  unit: string;
  mc: number;
  operations: number;
  quantityMilli: number;
}

/**
 * Usage per bucket of the range's size and per operation and unit, in bucket order (the
 * report's parts, and the CSV's rows), over exactly [from, to): the whole hours inside the
 * range from the hourly rollups, and the part-hours at its ends (a range given to the minute,
 * or ending now) from the usage rows themselves, summed as the rollups sum them (a reversal
 * row takes its operation back, in the hour of what it reverses). Reading the ends' hours
 * whole counted usage outside the range (a review found it).
 */
export async function usageGroups(db: Kysely<DB>, userId: string | null, r: UsageRange): Promise<UsageGroup[]> {
  const size = r.granularity === 'hour' ? HOUR_MS : DAY_MS;
  const { whole, edges } = rangeParts(r);
  const parts: Promise<SummedRow[]>[] = [];
  if (whole) parts.push(rollupRows(db, userId, whole[0], whole[1], size));
  for (const [lo, hi] of edges) parts.push(usageRows(db, userId, lo, hi, size));
  const merged = new Map<string, UsageGroup>();
  for (const row of (await Promise.all(parts)).flat()) {
    const g = {
      bucket: Number(row.bucket),
      operation: row.operation,
      unit: row.unit,
      mc: Number(row.credits_mc),
      operations: Number(row.operations),
      quantityMilli: Number(row.quantity_milli),
    };
    const k = `${g.bucket}\u001f${g.operation}\u001f${g.unit}`;
    const m = merged.get(k);
    if (!m) merged.set(k, g);
    else {
      m.mc += g.mc;
      m.operations += g.operations;
      m.quantityMilli += g.quantityMilli;
    }
  }
  return [...merged.values()].sort((x, y) => x.bucket - y.bucket || x.operation.localeCompare(y.operation) || x.unit.localeCompare(y.unit));
}

/**
 * A range as the usage tables cover it: the whole hours inside it (from the rollups; null
 * when there is none) and the part-hours at its ends (from the usage rows; none empty).
 */
export function rangeParts(r: { from: number; to: number }): { whole: [number, number] | null; edges: [number, number][] } {
  const a = r.from % HOUR_MS === 0 ? r.from : r.from - (r.from % HOUR_MS) + HOUR_MS;
  const b = r.to - (r.to % HOUR_MS);
  // Inside one hour: [from, to) alone. Otherwise [from, a) and [b, to), each when not empty.
  const edges: [number, number][] =
    a > b
      ? [[r.from, r.to]]
      : [
          [r.from, a],
          [b, r.to],
        ];
  return { whole: a < b ? [a, b] : null, edges: edges.filter(([lo, hi]) => lo < hi) };
}

/** The accounts the rollups of the hour of `at` name: those that may have usage rows in it. */
export const accountsActiveInHour = (db: Kysely<DB>, at: number) =>
  db
    .selectFrom('usage_rollups')
    .select('user_id')
    .distinct()
    .where('bucket', '=', at - (at % HOUR_MS));

/**
 * A rollup's columns, summed per bucket of the report's size. PostgreSQL answers a sum of
 * bigints as text (no type parser is set), so each number is read through Number().
 */
type SummedRow = {
  [K in keyof Omit<UsageRollupsTable, 'user_id'>]: UsageRollupsTable[K] extends number ? number | string : UsageRollupsTable[K];
};

/**
 * The rollups of the whole hours [lo, hi), summed per bucket of `size` by the database: a
 * 90-day report by day is at most 90 rows per operation on the wire whatever the number of
 * hourly rollups (profiling a user with 1,000,000 usage rows showed the time going to
 * fetching and decoding 8,640 rollups).
 */
function rollupRows(db: Kysely<DB>, userId: string | null, lo: number, hi: number, size: number): Promise<SummedRow[]> {
  let q = db
    .selectFrom('usage_rollups')
    .select((eb) => [
      sql<number | string>`bucket - (bucket % ${sql.lit(size)})`.as('bucket'),
      'operation',
      'unit',
      eb.fn.sum<number | string>('credits_mc').as('credits_mc'),
      eb.fn.sum<number | string>('operations').as('operations'),
      eb.fn.sum<number | string>('quantity_milli').as('quantity_milli'),
    ])
    .where('bucket', '>=', lo)
    .where('bucket', '<', hi)
    .groupBy([sql`bucket - (bucket % ${sql.lit(size)})`, 'operation', 'unit']);
  if (userId !== null) q = q.where('user_id', '=', userId);
  return q.execute();
}

/**
 * The usage rows of [lo, hi), less than an hour, summed as the rollups are. Through the index
 * on (user_id, created_at): for every account (admin analytics), the accounts the hour's
 * rollups name.
 */
function usageRows(db: Kysely<DB>, userId: string | null, lo: number, hi: number, size: number): Promise<SummedRow[]> {
  const bucket = sql<number | string>`created_at - (created_at % ${sql.lit(size)})`;
  let q = db
    .selectFrom('usage_tracking')
    .select((eb) => [
      bucket.as('bucket'),
      'operation',
      'unit',
      eb.fn.sum<number | string>('charged_mc').as('credits_mc'),
      eb.fn.sum<number | string>(eb.case().when('reverses_id', 'is', null).then(1).else(-1).end()).as('operations'),
      eb.fn.sum<number | string>('quantity_milli').as('quantity_milli'),
    ])
    .where('created_at', '>=', lo)
    .where('created_at', '<', hi)
    .groupBy([bucket, 'operation', 'unit']);
  q = userId !== null ? q.where('user_id', '=', userId) : q.where('user_id', 'in', accountsActiveInHour(db, lo));
  return q.execute();
}
