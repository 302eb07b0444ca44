/**
 * Grants inside a ledger batch, without a database: which grants a debit, a hold, a capture
 * or a claw-back takes from, in the contract's order (grants that expire before those that
 * never do, the earliest expiry first; at the same expiry promotional ones before paid
 * ones; then the oldest first). The account's grants were loaded with it (load-batch.ts);
 * what changes here is written by the dialect's writer with the batch.
 *
 * The invariant every op keeps: an account's grants' `remaining_mc` sum to its balance's
 * positive part, and each grant's `reserved_mc` is what active holds reserved from it
 * (`reservation_grants`), never more than its `remaining_mc`.
 */
import type { GrantRow, GrantSource } from '../../db/schema.js';

export interface GrantState {
  row: GrantRow;
  isNew: boolean;
  dirty: boolean;
}

/** What a hold reserved from one grant. */
export interface AllocationState {
  reservationId: string;
  grantId: string;
  /** The hold's account. */
  userId: string;
  amountMc: number;
  isNew: boolean;
  dirty: boolean;
}

/**
 * What the op being decided has changed so far of each grant's remaining credits (the
 * batch's `Pending.moved`): every change of a grant's `remaining_mc` is added here where it is
 * made, and decide.ts turns them into the op's grant movements (grant-moves.ts).
 */
export type Moves = Map<GrantState, number>;

/** Notes that `g`'s remaining credits changed by `mc`. */
export function moved(moves: Moves, g: GrantState, mc: number): void {
  if (mc !== 0) moves.set(g, (moves.get(g) ?? 0) + mc);
}

const PROMOTIONAL: ReadonlySet<GrantSource> = new Set(['bonus', 'signup_bonus', 'promo', 'adjustment']);

export function isPromotional(source: GrantSource): boolean {
  return PROMOTIONAL.has(source);
}

/**
 * The spending order: negative when `a` is spent before `b`. The same in SQL is migration 023's
 * `grantsSpendingOrder`, the order of the index load-batch.ts reads an account's first grant by.
 */
export function spendingOrder(a: GrantRow, b: GrantRow): number {
  const ea = a.expires_at ?? Number.POSITIVE_INFINITY;
  const eb = b.expires_at ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const pa = isPromotional(a.source) ? 0 : 1;
  const pb = isPromotional(b.source) ? 0 : 1;
  if (pa !== pb) return pa - pb;
  if (a.created_at !== b.created_at) return a.created_at - b.created_at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** What a grant holds that no hold reserved and that has not expired. */
export function freeOf(g: GrantRow): number {
  return g.expired_at === null ? g.remaining_mc - g.reserved_mc : 0;
}

/** Sorts an account's grants in place into the spending order (they arrive sorted; new ones are appended). */
export function ordered(grants: GrantState[]): GrantState[] {
  for (let i = 1; i < grants.length; i++) {
    if (spendingOrder((grants[i - 1] as GrantState).row, (grants[i] as GrantState).row) > 0) {
      grants.sort((x, y) => spendingOrder(x.row, y.row));
      break;
    }
  }
  return grants;
}

/**
 * The grants with free credits, `first` ones (a payment's own grants) before the others, each
 * group in the spending order, with what each has free as it is reached: what takes them.
 */
function* freeInOrder(grants: GrantState[], first?: (g: GrantRow) => boolean): Generator<[GrantState, number]> {
  for (const pass of first ? [first, (g: GrantRow) => !first(g)] : [null]) {
    for (const g of ordered(grants)) {
      if (pass && !pass(g.row)) continue;
      const free = freeOf(g.row);
      if (free > 0) yield [g, free];
    }
  }
}

/**
 * Takes up to `amountMc` of the grants' free credits, `first` ones (a refunded payment's own
 * grants) before the others, each group in the spending order. Returns what it could not take.
 */
export function takeFree(grants: GrantState[], amountMc: number, moves: Moves, first?: (g: GrantRow) => boolean): number {
  let left = amountMc;
  for (const [g, free] of freeInOrder(grants, first)) {
    if (left === 0) break;
    const t = Math.min(free, left);
    g.row.remaining_mc -= t;
    g.dirty = true;
    moved(moves, g, -t);
    left -= t;
  }
  return left;
}

/** Reserves up to `amountMc` of the grants' free credits for a hold (`first` ones first); returns its allocations. */
export function reserveFree(
  grants: GrantState[],
  userId: string,
  reservationId: string,
  amountMc: number,
  first?: (g: GrantRow) => boolean,
): AllocationState[] {
  const out: AllocationState[] = [];
  let left = amountMc;
  for (const [g, free] of freeInOrder(grants, first)) {
    if (left === 0) break;
    const t = Math.min(free, left);
    g.row.reserved_mc += t;
    g.dirty = true;
    left -= t;
    out.push({ reservationId, grantId: g.row.id, userId, amountMc: t, isNew: true, dirty: true });
  }
  return out;
}

/**
 * The grants an op that names a payment takes from first (a refund's claw-back, a dispute's
 * hold): that payment's own, so what leaves is what the payment brought, valued at its price.
 */
export function paymentFirst(op: { refType?: string | undefined; refId?: string | undefined }): ((g: GrantRow) => boolean) | undefined {
  const paymentId = op.refType === 'payment' ? op.refId : undefined;
  return paymentId === undefined ? undefined : (g) => g.payment_id === paymentId;
}

/**
 * Takes up to `amountMc` out of other holds' reservations (a claw-back or a forced hold's
 * charge beyond what is free): the holds keep less. Returns what it could not take.
 */
export function takeReserved(
  grants: GrantState[],
  allocations: AllocationState[],
  amountMc: number,
  moves: Moves,
  first?: (g: GrantRow) => boolean,
): number {
  let left = amountMc;
  const byId = new Map(grants.map((g) => [g.row.id, g]));
  const sorted = allocations
    .filter((a) => a.amountMc > 0 && byId.has(a.grantId))
    .sort((x, y) => {
      const gx = (byId.get(x.grantId) as GrantState).row;
      const gy = (byId.get(y.grantId) as GrantState).row;
      if (first) {
        const fx = first(gx) ? 0 : 1;
        const fy = first(gy) ? 0 : 1;
        if (fx !== fy) return fx - fy;
      }
      // For one grant, the holds in the order of their ids.
      return spendingOrder(gx, gy) || (x.reservationId < y.reservationId ? -1 : x.reservationId > y.reservationId ? 1 : 0);
    });
  for (const a of sorted) {
    if (left === 0) break;
    const g = byId.get(a.grantId) as GrantState;
    const t = Math.min(a.amountMc, left);
    a.amountMc -= t;
    a.dirty = true;
    g.row.reserved_mc -= t;
    g.row.remaining_mc -= t;
    g.dirty = true;
    moved(moves, g, -t);
    left -= t;
  }
  return left;
}

/** What settling a hold did to its grants: the credits of grants that expired under it, now expiring. */
export interface Settled {
  /** Per grant that had expired: what the hold released unspent, which expires now. */
  expired: { grant: GrantRow; amountMc: number }[];
  /** What was charged beyond the hold's reservations (a forced hold's unbacked part). */
  unbackedMc: number;
}

/**
 * Settles a hold's reservations: `chargedMc` is taken from them in the spending order, the
 * rest returns to its grants, except from grants that expired meanwhile, where it expires.
 */
export function settleHold(grants: GrantState[], allocations: AllocationState[], chargedMc: number, moves: Moves): Settled {
  const byId = new Map(grants.map((g) => [g.row.id, g]));
  const own = allocations
    .filter((a) => a.amountMc > 0 && byId.has(a.grantId))
    .sort((x, y) => spendingOrder((byId.get(x.grantId) as GrantState).row, (byId.get(y.grantId) as GrantState).row));
  let left = chargedMc;
  const expired: Settled['expired'] = [];
  for (const a of own) {
    const g = byId.get(a.grantId) as GrantState;
    const t = Math.min(a.amountMc, left);
    left -= t;
    g.row.reserved_mc -= a.amountMc;
    g.row.remaining_mc -= t;
    moved(moves, g, -t);
    const unspent = a.amountMc - t;
    if (unspent > 0 && g.row.expired_at !== null) {
      g.row.remaining_mc -= unspent;
      g.row.expired_mc += unspent;
      moved(moves, g, -unspent);
      expired.push({ grant: g.row, amountMc: unspent });
    }
    g.dirty = true;
  }
  return { expired, unbackedMc: left };
}

/** The credits an account gains as a new grant: its balance's positive part grows by this much. */
export function grantedPart(balanceBefore: number, balanceAfter: number): number {
  return Math.max(0, balanceAfter) - Math.max(0, balanceBefore);
}

/**
 * What `mc` credits of a grant of `creditsMc` bought for `valueCents` are worth, in cents,
 * rounded half up (in exact integers: mc x cents can pass 2^53).
 */
export function valueOfCredits(mc: number, valueCents: number, creditsMc: number): number {
  if (mc === 0 || valueCents === 0 || creditsMc <= 0) return 0;
  const n = BigInt(mc) * BigInt(valueCents);
  const d = BigInt(creditsMc);
  const neg = n < 0n;
  const a = neg ? -n : n;
  const r = Number((2n * a + d) / (2n * d));
  return neg ? -r : r;
}
