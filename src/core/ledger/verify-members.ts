/**
 * verify's check of organisation members' spending: what member_month_usage says each member
 * was charged in each calendar month (UTC), which the monthly limits are decided against,
 * equals the sum of their usage rows' charges that month (reversals included, in the month of
 * what they reverse), and every member's usage row has its ledger row naming the same member.
 * Runs inside verify's snapshot, on a database of the release with accounts (migration 019).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { monthOf } from './decide-members.js';

const SAMPLE = 20;
const DAY = 86_400_000;

/** Flags every mismatch; returns the number of (account, member, month) rows checked. */
export async function verifyMembers(db: Kysely<DB>, flag: (msg: string) => void): Promise<number> {
  // Summed by day in SQL (integer division on both databases), by month here.
  const days = await db
    .selectFrom('usage_tracking')
    .select(['user_id', 'member_id'])
    .select((eb) => [eb(eb.ref('created_at'), '/', DAY).as('day'), eb.fn.sum<number>('charged_mc').as('charged')])
    .where('member_id', 'is not', null)
    .where('bypass', '=', 0)
    .groupBy(['user_id', 'member_id', 'day'])
    .execute();
  const expected = new Map<string, number>();
  for (const d of days) {
    const key = `${d.user_id}\u001f${d.member_id}\u001f${monthOf(Number(d.day) * DAY)}`;
    expected.set(key, (expected.get(key) ?? 0) + Number(d.charged));
  }
  const stored = await db.selectFrom('member_month_usage').selectAll().execute();
  let reported = 0;
  const say = (msg: string) => {
    if (reported++ < SAMPLE) flag(msg);
  };
  for (const s of stored) {
    const key = `${s.account_id}\u001f${s.user_id}\u001f${s.month}`;
    const want = expected.get(key) ?? 0;
    expected.delete(key);
    if (Number(s.used_mc) !== want) {
      say(`account ${s.account_id} member ${s.user_id} ${s.month}: spent ${s.used_mc} by member_month_usage, ${want} by their usage rows`);
    }
  }
  for (const [key, want] of expected) {
    if (want === 0) continue;
    const [account, member, month] = key.split('\u001f');
    say(`account ${account} member ${member} ${month}: usage rows charge ${want}, member_month_usage has no row`);
  }
  const unnamed = await db
    .selectFrom('usage_tracking as u')
    .innerJoin('credit_transactions as t', 't.id', 'u.transaction_id')
    .select(['u.id', 'u.member_id', 't.member_id as tx_member'])
    .where('u.member_id', 'is not', null)
    .where((eb) => eb.or([eb('t.member_id', 'is', null), eb('t.member_id', '!=', eb.ref('u.member_id'))]))
    .limit(SAMPLE)
    .execute();
  for (const u of unnamed) flag(`usage ${u.id}: member ${u.member_id}, but its ledger row names ${u.tx_member ?? 'no member'}`);
  return stored.length;
}
