/**
 * The holds' part of the ledger's decisions (see decide.ts): a new hold, its capture and its
 * release. Pure like the rest: each checks before it changes anything, so a refusal leaves the
 * state as it was. Unit-tested in decide-holds.test.ts.
 */
import type { ReservationRow, TransactionType } from '../../db/schema.js';
import { conflict, insufficientCredits, invalid } from '../errors.js';
import { expireReleased, grantsOf, spendGrants, withExpired } from './decide-grants.js';
import { checkLimit, limitRoom, memberKey, memberOf } from './decide-members.js';
import { paymentFirst, reserveFree, settleHold } from './grants.js';
import { type BatchState, type Pending, account, checkAmount, reservation } from './batch-state.js';
import { addUsage, available, post, usageMetadataText } from './ledger-rows.js';
import type { Applied, CaptureOp, ReleaseOp, ReserveOp } from './types.js';

/** A new hold: available credits (or fewer, if the op may shrink; any, if forced) reserved from the grants in the spending order. */
export function decideReserve(op: ReserveOp, state: BatchState, pending: Pending, now: number): Applied {
  const { accounts, reservations } = state;
  checkAmount(op.amountMc, true);
  const a = account(accounts, op.userId);
  if (reservations.has(op.reservationId)) throw conflict('This hold already exists.');
  const m = op.memberId ? memberOf(state, op.userId, op.memberId) : null;
  const avail = available(a);
  let amount = op.amountMc;
  if (!op.forced) {
    // A member's hold counts against their limit from now: it may shrink to what is left of it too.
    const room = m ? limitRoom(m) : Number.POSITIVE_INFINITY;
    if (op.shrink) {
      const affordable = Math.min(avail, room);
      const shrunk = avail < 0 ? null : op.shrink(affordable);
      if (shrunk === null) {
        if (m && room < avail) checkLimit(m, op.amountMc);
        throw insufficientCredits(op.amountMc, avail);
      }
      amount = Math.min(shrunk, op.amountMc);
    }
    if (m) checkLimit(m, amount);
    if (avail < amount || avail < 0) throw insufficientCredits(amount, avail);
  }
  if (m) m.heldMc += amount;
  const row: ReservationRow = {
    id: op.reservationId,
    user_id: op.userId,
    member_id: op.memberId ?? null,
    amount_mc: amount,
    captured_mc: 0,
    status: 'active',
    operation: op.pricing?.operation ?? null,
    unit: op.pricing?.unit ?? null,
    rule_id: op.pricing?.ruleId ?? null,
    rule_credits_mc: op.pricing?.ruleCreditsMc ?? null,
    forced: op.forced ? 1 : 0,
    description: op.description ?? 'Hold',
    metadata: op.metadata ? JSON.stringify(op.metadata) : null,
    expires_at: op.expiresAt,
    created_at: now,
    settled_at: null,
  };
  reservations.set(row.id, { row, isNew: true, dirty: true });
  const applied = post(
    a,
    pending,
    { ...op, refType: op.refType ?? 'reservation', refId: op.refId ?? row.id },
    'reservation',
    0,
    amount,
    now,
  );
  applied.reservationId = row.id;
  // A dispute's hold reserves the disputed payment's own credits first, as a refund takes them.
  const allocated = reserveFree(grantsOf(state, a.row.user_id), a.row.user_id, row.id, amount, paymentFirst(op));
  if (allocated.length > 0) {
    state.allocations.set(row.id, allocated);
    state.allocationRows.push(...allocated);
  }
  return applied;
}

/** Settles a hold by charging up to its amount; the rest is released, and what it held of a grant that expired meanwhile expires now. */
export function decideCapture(op: CaptureOp, state: BatchState, pending: Pending, now: number): Applied {
  const { accounts, reservations } = state;
  checkAmount(op.amountMc, true);
  const r = reservation(reservations, op.reservationId, op.userId);
  if (r.row.status !== 'active') {
    throw conflict('This hold is already settled.', { status: r.row.status });
  }
  const a = account(accounts, r.row.user_id);
  const hold = r.row.amount_mc;
  const charged = Math.min(op.amountMc, hold);
  // Every `usage` row has its usage record (verify checks it): a charged capture says what it was for.
  if (charged > 0 && (op.type ?? 'usage') === 'usage' && !op.usage) throw invalid('A usage charge needs its usage record.');
  r.row.status = 'captured';
  r.row.captured_mc = charged;
  r.row.settled_at = now;
  r.dirty = true;
  const type: TransactionType = charged === 0 ? 'release' : (op.type ?? 'usage');
  if (type === 'usage') a.row.lifetime_used_mc += charged;
  // The member's hold stops counting; what it charged counts as their spending this month.
  const memberId = r.row.member_id;
  const m = memberId ? state.members.get(memberKey(r.row.user_id, memberId)) : undefined;
  if (m) {
    m.heldMc -= hold;
    if (type === 'usage') m.usedMc += charged;
  }
  const before = a.row.balance_mc;
  const settled = settleHold(grantsOf(state, a.row.user_id), state.allocations.get(r.row.id) ?? [], charged, pending.moved);
  state.allocations.delete(r.row.id);
  const applied = post(
    a,
    pending,
    { ...op, refType: op.refType ?? 'reservation', refId: op.refId ?? r.row.id, memberId },
    type,
    -charged,
    -hold,
    now,
    type === 'usage' && op.usage ? usageMetadataText(op.usage, op.metadata) : undefined,
  );
  applied.reservationId = r.row.id;
  applied.chargedMc = charged;
  if (op.usage) {
    applied.usageId = addUsage(pending, a.row.user_id, op.usage, charged, false, applied.transactionId, r.row.id, now, undefined, memberId);
  }
  const expired = expireReleased(a, pending, settled.expired, now);
  spendGrants(state, pending, a.row.user_id, before, a.row.balance_mc, charged - settled.unbackedMc + expired);
  return withExpired(applied, a, expired);
}

/** Ends a hold without charging (released, or expired by the sweeper). */
export function decideRelease(op: ReleaseOp, state: BatchState, pending: Pending, now: number): Applied {
  const { accounts, reservations } = state;
  const r = reservation(reservations, op.reservationId, op.userId);
  if (r.row.status !== 'active') {
    throw conflict('This hold is already settled.', { status: r.row.status });
  }
  const a = account(accounts, r.row.user_id);
  const memberId = r.row.member_id;
  const m = memberId ? state.members.get(memberKey(r.row.user_id, memberId)) : undefined;
  if (m) m.heldMc -= r.row.amount_mc;
  r.row.status = op.reason === 'expired' ? 'expired' : 'released';
  r.row.settled_at = now;
  r.dirty = true;
  const before = a.row.balance_mc;
  const settled = settleHold(grantsOf(state, a.row.user_id), state.allocations.get(r.row.id) ?? [], 0, pending.moved);
  state.allocations.delete(r.row.id);
  const applied = post(
    a,
    pending,
    {
      ...op,
      description: op.description ?? (op.reason === 'expired' ? 'Hold expired' : 'Hold released'),
      refType: op.refType ?? 'reservation',
      refId: op.refId ?? r.row.id,
      memberId,
    },
    'release',
    0,
    -r.row.amount_mc,
    now,
  );
  applied.reservationId = r.row.id;
  applied.chargedMc = 0;
  const expired = expireReleased(a, pending, settled.expired, now);
  spendGrants(state, pending, a.row.user_id, before, a.row.balance_mc, expired);
  return withExpired(applied, a, expired);
}
