/**
 * The grants' part of the ledger's decisions (see decide.ts and grants.ts): a credit's new
 * grant, the grants following the balance after a debit or a claw-back, the `expiry` rows of
 * grants that expired, the sweeper's expiry of one grant, and a compound op's saved grants.
 */
import { mcToCredits } from '../../contracts/money.js';
import type { GrantRow, GrantSource } from '../../db/schema.js';
import { conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { AccountState, BatchState, Pending } from './batch-state.js';
import { type AllocationState, type GrantState, grantedPart, moved, takeFree, takeReserved } from './grants.js';
import { available, post, unposted } from './ledger-rows.js';
import type { Applied, ExpireGrantOp } from './types.js';

export function grantsOf(state: BatchState, userId: string): GrantState[] {
  let list = state.grants.get(userId);
  if (!list) {
    list = [];
    state.grants.set(userId, list);
  }
  return list;
}

/** A new grant for credits that entered the account: what of them raised the balance's positive part. */
export function addGrant(
  state: BatchState,
  pending: Pending,
  a: AccountState,
  applied: Applied,
  g: {
    source: GrantSource;
    creditsMc: number;
    before: number;
    expiresAt: number | null;
    valueCents: number;
    paymentId: string | null;
    now: number;
    quiet?: boolean;
  },
): string {
  const row: GrantRow = {
    id: newId(g.now),
    user_id: a.row.user_id,
    source: g.source,
    credits_mc: g.creditsMc,
    remaining_mc: grantedPart(g.before, a.row.balance_mc),
    reserved_mc: 0,
    expired_mc: 0,
    value_cents: g.valueCents,
    payment_id: g.paymentId,
    transaction_id: applied.transactionId,
    expires_at: g.expiresAt,
    expired_at: null,
    created_at: g.now,
  };
  const grant: GrantState = { row, isNew: true, dirty: true };
  grantsOf(state, a.row.user_id).push(grant);
  moved(pending.moved, grant, row.remaining_mc);
  // Purchases and auto-recharges are announced as such (credits.purchased, auto_recharge.succeeded).
  if (!g.quiet && g.source !== 'purchase' && g.source !== 'auto_recharge') {
    pending.events.push({
      type: 'credits.granted',
      accountId: row.user_id,
      data: {
        accountId: row.user_id,
        grantId: row.id,
        source: row.source,
        credits: mcToCredits(row.credits_mc),
        expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
      },
    });
  }
  return row.id;
}

/**
 * The account's grants after its balance went from `before` to `after`, `taken` already taken
 * out of them: what else the balance's positive part lost comes out of free credits (in the
 * spending order, `first` ones first), then out of what other holds reserved.
 */
export function spendGrants(
  state: BatchState,
  pending: Pending,
  userId: string,
  before: number,
  after: number,
  taken: number,
  first?: (g: GrantRow) => boolean,
) {
  const need = Math.max(0, before) - Math.max(0, after) - taken;
  if (need <= 0) return;
  const grants = grantsOf(state, userId);
  const left = takeFree(grants, need, pending.moved, first);
  if (left > 0) {
    const held: AllocationState[] = [];
    for (const list of state.allocations.values()) for (const x of list) if (x.userId === userId) held.push(x);
    takeReserved(grants, held, left, pending.moved, first);
  }
}

/** One `expiry` row per grant whose credits leave the balance now; returns their total. */
export function expireReleased(
  a: AccountState,
  pending: Pending,
  expired: { grant: GrantRow; amountMc: number }[],
  now: number,
  op?: { idem?: { key: string } | undefined },
): number {
  let total = 0;
  for (const e of expired) {
    post(
      a,
      pending,
      { description: 'Credits expired', refType: 'grant', refId: e.grant.id, idem: op?.idem },
      'expiry',
      -e.amountMc,
      0,
      now,
    );
    pending.events.push({
      type: 'credits.expired',
      accountId: a.row.user_id,
      data: { accountId: a.row.user_id, grantId: e.grant.id, credits: mcToCredits(e.amountMc) },
    });
    total += e.amountMc;
  }
  return total;
}

/** An outcome after expiry rows followed its row: the account as it ends. */
export function withExpired(applied: Applied, a: AccountState, expiredMc: number): Applied {
  applied.balanceMc = a.row.balance_mc;
  applied.reservedMc = a.row.reserved_mc;
  applied.availableMc = available(a);
  applied.expiredMc = expiredMc;
  return applied;
}

/** Expires what no hold reserved of a due grant: one `expiry` row (none when nothing is left); the grant is marked expired. */
export function decideExpireGrant(op: ExpireGrantOp, a: AccountState, state: BatchState, pending: Pending, now: number): Applied {
  const g = grantsOf(state, op.userId).find((x) => x.row.id === op.grantId);
  if (!g) throw notFound('Grant');
  if (g.row.expired_at !== null) throw conflict('This grant has already expired.');
  if (g.row.expires_at === null || g.row.expires_at > now) throw conflict('This grant has not expired yet.');
  // What holds reserved from it stays theirs: it expires when they release it unspent.
  const amount = g.row.remaining_mc - g.row.reserved_mc;
  g.row.remaining_mc -= amount;
  g.row.expired_mc += amount;
  moved(pending.moved, g, -amount);
  g.row.expired_at = now;
  g.dirty = true;
  // The account's row is rewritten even when nothing leaves it: a grant changes only with its account's row (load-batch.ts relies on it).
  a.row.updated_at = now;
  a.dirty = true;
  if (amount <= 0) return { ...unposted(a, now), expiredMc: 0 };
  expireReleased(a, pending, [{ grant: g.row, amountMc: amount }], now, op);
  const applied = withExpired(unposted(a, now), a, amount);
  applied.transactionId = pending.txRows[pending.txRows.length - 1]?.id ?? null;
  applied.amountMc = -amount;
  return applied;
}

/** Saves an account's grants and what holds reserved from them; the function returned puts them back. */
export function snapshotGrants(state: BatchState, userId: string): () => void {
  const list = grantsOf(state, userId);
  const grants = list.map((g) => ({ g, row: { ...g.row }, dirty: g.dirty }));
  const rowsLength = state.allocationRows.length;
  const amounts = state.allocationRows.map((x) => ({ x, amountMc: x.amountMc, dirty: x.dirty }));
  const map = new Map([...state.allocations].map(([k, v]) => [k, [...v]]));
  return () => {
    state.grants.set(
      userId,
      grants.map((s) => {
        Object.assign(s.g.row, s.row);
        s.g.dirty = s.dirty;
        return s.g;
      }),
    );
    state.allocationRows.length = rowsLength;
    for (const s of amounts) {
      s.x.amountMc = s.amountMc;
      s.x.dirty = s.dirty;
    }
    state.allocations.clear();
    for (const [k, v] of map) state.allocations.set(k, v);
  };
}
