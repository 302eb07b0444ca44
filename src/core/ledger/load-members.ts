/** The organisation members a batch charges, read with their limit, month and holds (load-batch.ts). */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../db/open.js';
import type { DB } from '../../db/schema.js';
import { type MemberState, type ReservationState, type UsageState, memberPairsOf, reservationIdsOf, usageIdsOf } from './batch-state.js';
import { memberKey } from './decide-members.js';
import { CHUNK, parts } from './load-parts.js';
import type { LedgerOp } from './types.js';

/** The organisation members the batch's ops name, and those whose holds it settles or whose usage it reverses: [account, user] by key. */
export function memberPairs(
  ops: readonly LedgerOp[],
  reservations: Map<string, ReservationState>,
  usages: Map<string, UsageState>,
): Map<string, [string, string]> {
  const pairs = new Map<string, [string, string]>();
  const add = (accountId: string, userId: string | null) => {
    if (userId) pairs.set(memberKey(accountId, userId), [accountId, userId]);
  };
  for (const op of ops) {
    for (const [a, u] of memberPairsOf(op)) add(a, u);
    for (const rid of reservationIdsOf(op)) {
      const r = reservations.get(rid);
      if (r) add(r.row.user_id, r.row.member_id);
    }
    for (const uid of usageIdsOf(op)) {
      const u = usages.get(uid);
      if (u) add(u.row.user_id, u.row.member_id);
    }
  }
  return pairs;
}

/**
 * The members `pairs` names, with their limit, what they were charged this month and what their
 * active holds reserve. Read after the accounts' locks (on Postgres sent right behind the lock
 * statement, which the server runs first: loadBatch), so on Postgres (read committed: each
 * statement sees what committed before it) every batch of an organisation sees the spending
 * of the one before it; every change of these rows is made by a batch holding that lock.
 * A member an op names who is not in account_members is absent: the op is refused (404).
 */
export async function loadMembers(
  trx: Kysely<DB>,
  dialect: Dialect,
  pairs: Map<string, [string, string]>,
  month: string,
): Promise<Map<string, MemberState>> {
  const members = new Map<string, MemberState>();
  if (pairs.size === 0) return members;
  // Two parameters a member.
  for (const part of parts(dialect, [...pairs.values()], dialect === 'postgres' ? 1000 : CHUNK / 2)) {
    const rows = await trx
      .selectFrom('account_members as m')
      .leftJoin('member_month_usage as mu', (j) =>
        j.onRef('mu.account_id', '=', 'm.account_id').onRef('mu.user_id', '=', 'm.user_id').on('mu.month', '=', month),
      )
      .select([
        'm.account_id',
        'm.user_id',
        'm.monthly_limit_mc',
        'mu.used_mc',
        sql<number>`(select coalesce(sum(r.amount_mc), 0) from reservations r
          where r.user_id = m.account_id and r.member_id = m.user_id and r.status = 'active')`.as('held_mc'),
      ])
      .where((eb) => eb.or(part.map(([a, u]) => eb.and([eb('m.account_id', '=', a), eb('m.user_id', '=', u)]))))
      .execute();
    for (const r of rows) {
      const usedMc = Number(r.used_mc ?? 0);
      const heldMc = Number(r.held_mc);
      members.set(memberKey(r.account_id, r.user_id), {
        accountId: r.account_id,
        userId: r.user_id,
        limitMc: r.monthly_limit_mc === null ? null : Number(r.monthly_limit_mc),
        usedMc,
        heldMc,
        startCountedMc: usedMc + heldMc,
        refused: false,
      });
    }
  }
  return members;
}
