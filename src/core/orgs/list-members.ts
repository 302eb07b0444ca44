import type { Kysely } from 'kysely';
import type { DB, MemberRole } from '../../db/schema.js';
import { usageMonth } from './membership.js';

export interface MemberItem {
  userId: string;
  email: string;
  name: string;
  role: MemberRole;
  monthlyLimitMc: number | null;
  /** What the member spent of the organisation's credits in the calendar month (UTC) of `now`. */
  usedThisMonthMc: number;
}

const RANK: Record<MemberRole, number> = { owner: 0, admin: 1, member: 2 };

/** An organisation's members (owners, then admins, then members, each by name) with this month's spending. */
export async function listMembers(db: Kysely<DB>, orgId: string, now: number): Promise<MemberItem[]> {
  const month = usageMonth(now);
  const rows = await db
    .selectFrom('account_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .leftJoin('member_month_usage as mu', (j) =>
      j.onRef('mu.account_id', '=', 'm.account_id').onRef('mu.user_id', '=', 'm.user_id').on('mu.month', '=', month),
    )
    .select(['m.user_id', 'u.email', 'u.name', 'm.role', 'm.monthly_limit_mc', 'mu.used_mc'])
    .where('m.account_id', '=', orgId)
    .execute();
  return rows
    .map((r) => ({
      userId: r.user_id,
      email: r.email,
      name: r.name,
      role: r.role,
      monthlyLimitMc: r.monthly_limit_mc === null ? null : Number(r.monthly_limit_mc),
      usedThisMonthMc: Number(r.used_mc ?? 0),
    }))
    .sort((a, b) => RANK[a.role] - RANK[b.role] || a.name.localeCompare(b.name) || a.userId.localeCompare(b.userId));
}
