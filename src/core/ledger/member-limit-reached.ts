/**
 * `member.limit_reached`: raised in the batch's transaction when a member's spending this
 * month (charges and open holds) reaches their limit on an organisation, or a charge of
 * theirs is refused for it (decide-members.ts `limitsReached`). Once per crossing: once per
 * member, calendar month (UTC) and limit, so a member refused again and again raises it once,
 * and a raised limit reached again raises it anew. The check reads the account's events of
 * the month; it runs while the batch holds the organisation's account lock (Postgres) or the
 * only writer (SQLite), so two batches never both find none. With the event, an in-app alert
 * (type `member_limit_reached`) to the member and to each owner of the organisation, each on
 * their personal account.
 */
import type { Kysely } from 'kysely';
import { formatCredits, mcToCredits } from '../../contracts/money.js';
import type { DB } from '../../db/schema.js';
import { createAlert } from '../alerts/alerts.js';
import { emitEvent } from '../events/emit-event.js';
import type { MemberState } from './batch-state.js';

export async function raiseLimitsReached(trx: Kysely<DB>, reached: readonly MemberState[], month: string, now: number): Promise<void> {
  const monthStart = Date.parse(`${month}-01T00:00:00Z`);
  for (const m of reached) {
    if (m.limitMc === null) continue;
    const limit = mcToCredits(m.limitMc);
    const prior = await trx
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'member.limit_reached')
      .where('account_id', '=', m.accountId)
      .where('created_at', '>=', monthStart)
      .execute();
    const seen = prior.some((p) => {
      const d = JSON.parse(p.data) as { memberId?: string; month?: string; limit?: number };
      return d.memberId === m.userId && d.month === month && d.limit === limit;
    });
    if (seen) continue;
    const used = mcToCredits(m.usedMc + m.heldMc);
    await emitEvent(
      trx,
      { type: 'member.limit_reached', accountId: m.accountId, data: { accountId: m.accountId, memberId: m.userId, month, limit, used } },
      now,
    );
    const org = await trx.selectFrom('accounts').select('name').where('id', '=', m.accountId).executeTakeFirst();
    const member = await trx.selectFrom('users').select('name').where('id', '=', m.userId).executeTakeFirst();
    const owners = await trx
      .selectFrom('account_members')
      .select('user_id')
      .where('account_id', '=', m.accountId)
      .where('role', '=', 'owner')
      .execute();
    const orgName = org?.name ?? 'the organisation';
    const metadata = { accountId: m.accountId, memberId: m.userId, month, limitMc: m.limitMc };
    await createAlert(
      trx,
      m.userId,
      'member_limit_reached',
      `You reached your monthly limit of ${formatCredits(m.limitMc)} credits on ${orgName}.`,
      now,
      metadata,
    );
    for (const o of owners) {
      if (o.user_id === m.userId) continue;
      await createAlert(
        trx,
        o.user_id,
        'member_limit_reached',
        `${member?.name ?? 'A member'} reached their monthly limit of ${formatCredits(m.limitMc)} credits on ${orgName}.`,
        now,
        metadata,
      );
    }
  }
}
