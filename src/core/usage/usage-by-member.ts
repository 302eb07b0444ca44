import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { invalid } from '../errors.js';
import type { UsageRange } from './get-usage.js';

export interface MemberUsage {
  /** The member's user id; null for usage no member was named for (the service API without `member`, rows from before members were recorded). */
  memberId: string | null;
  /** Their name now (a removed member keeps theirs); null with no member. */
  name: string | null;
  mc: number;
  /** Operations counted as the usage report counts them (a reversal takes one back). */
  operations: number;
}

/**
 * An organisation's usage over a range by the member who caused it (GET /api/credits/usage
 * ?groupBy=member), from the usage rows (the rollups are per account): over the report's
 * range, [from, to), so the members' credits add up to its `totalCredits`. Most spent first. A personal account has no members: 400.
 */
export async function usageByMember(db: Kysely<DB>, accountId: string, r: UsageRange): Promise<MemberUsage[]> {
  const account = await db.selectFrom('accounts').select('kind').where('id', '=', accountId).executeTakeFirst();
  if (account?.kind !== 'organization') {
    throw invalid('Usage by member is for an organisation’s account: name one with X-Account.', {
      fields: [{ path: 'groupBy', field: 'groupBy', message: 'groupBy=member needs an organisation account' }],
    });
  }
  const rows = await db
    .selectFrom('usage_tracking as u')
    .leftJoin('users as m', 'm.id', 'u.member_id')
    .select((eb) => [
      'u.member_id',
      'm.name',
      eb.fn.sum<number>('u.charged_mc').as('mc'),
      eb.fn.sum<number>(eb.case().when('u.reverses_id', 'is', null).then(1).else(-1).end()).as('operations'),
    ])
    .where('u.user_id', '=', accountId)
    // Exactly the report's range, [from, to), as usageGroups reads it: the members add up to its total.
    .where('u.created_at', '>=', r.from)
    .where('u.created_at', '<', r.to)
    .groupBy(['u.member_id', 'm.name'])
    .execute();
  return rows
    .map((x) => ({ memberId: x.member_id, name: x.name ?? null, mc: Number(x.mc), operations: Number(x.operations) }))
    .filter((x) => x.mc !== 0 || x.operations !== 0)
    .sort((a, b) => b.mc - a.mc || (a.name ?? '').localeCompare(b.name ?? ''));
}
