/**
 * Verify's grant checks: every account's grants' remaining credits sum to its balance's
 * positive part; no grant below zero, none holding less than its holds reserved or more than
 * it granted; what holds reserved from grants is what active holds' reservations say; and
 * every `expiry` row names a grant of its account, the grant's expired credits being exactly
 * what its `expiry` rows took; each grant's movements (grant_movements) sum to what it has
 * left; each is marked open exactly when it has credits left. Read in the caller's snapshot.
 */
import { type Kysely, sql } from 'kysely';
import type { DB, GrantRow } from '../../db/schema.js';

export async function verifyGrants(db: Kysely<DB>, balances: Map<string, number>, flag: (msg: string) => void): Promise<number> {
  // Every column: `open` (migration 026, not in the row's type) is there from that release on.
  const grants = (await db.selectFrom('grants').selectAll().execute()) as (GrantRow & { open?: number })[];
  const remaining = new Map<string, number>();
  const byId = new Map(grants.map((g) => [g.id, g]));
  for (const g of grants) {
    const where = `grant ${g.id} of account ${g.user_id}`;
    if (g.remaining_mc < 0 || g.reserved_mc < 0 || g.expired_mc < 0) flag(`${where}: below zero`);
    if (g.reserved_mc > g.remaining_mc) flag(`${where}: reserves ${g.reserved_mc}, more than the ${g.remaining_mc} it has left`);
    if (g.remaining_mc + g.expired_mc > g.credits_mc) flag(`${where}: has left and expired more than the ${g.credits_mc} it granted`);
    if (g.expired_mc > 0 && g.expired_at === null) flag(`${where}: credits expired but the grant is not marked expired`);
    // The ledger writer finds an account's grants by `open` (the index grants_open): a grant
    // marked closed with credits left would never be spent, one marked open with none is read for nothing.
    if (g.open !== undefined && g.open !== (g.remaining_mc > 0 ? 1 : 0)) {
      flag(`${where}: marked ${g.open === 1 ? 'open' : 'closed'} with ${g.remaining_mc} left`);
    }
    remaining.set(g.user_id, (remaining.get(g.user_id) ?? 0) + g.remaining_mc);
  }
  for (const [user, balance] of balances) {
    const sum = remaining.get(user) ?? 0;
    if (sum !== Math.max(0, balance)) {
      flag(`account ${user}: its grants have ${sum} left, its balance's positive part is ${Math.max(0, balance)}`);
    }
  }
  for (const user of remaining.keys()) if (!balances.has(user)) flag(`grants for ${user}, which has no account`);

  // What active holds reserved from each grant.
  const held = await db
    .selectFrom('reservation_grants as rg')
    .innerJoin('reservations as r', 'r.id', 'rg.reservation_id')
    .select(['rg.grant_id', 'r.user_id'])
    .select((eb) => eb.fn.sum<number>('rg.amount_mc').as('mc'))
    .where('r.status', '=', 'active')
    .groupBy(['rg.grant_id', 'r.user_id'])
    .execute();
  const heldBy = new Map(held.map((h) => [h.grant_id, h]));
  for (const g of grants) {
    const h = heldBy.get(g.id);
    const mc = Number(h?.mc ?? 0);
    if (g.reserved_mc !== mc) flag(`grant ${g.id}: reserves ${g.reserved_mc}, its active holds' reservations total ${mc}`);
    if (h && h.user_id !== g.user_id) flag(`grant ${g.id}: reserved by a hold of another account`);
  }
  for (const h of held) if (!byId.has(h.grant_id)) flag(`a hold reserves from grant ${h.grant_id}, which does not exist`);

  // Every expiry row names its grant; each grant's expired credits are its expiry rows'.
  const expiries = await db
    .selectFrom('credit_transactions')
    .select(['reference_id', 'user_id', 'reference_type'])
    .select((eb) => [eb.fn.sum<number>('amount_mc').as('mc'), sql<number>`count(*)`.as('n')])
    .where('type', '=', 'expiry')
    .groupBy(['reference_id', 'user_id', 'reference_type'])
    .execute();
  const expiredBy = new Map<string, number>();
  for (const e of expiries) {
    const g = e.reference_id ? byId.get(e.reference_id) : undefined;
    if (e.reference_type !== 'grant' || !g || g.user_id !== e.user_id) {
      flag(`account ${e.user_id}: ${Number(e.n)} expiry row(s) naming no grant of the account (${e.reference_type}:${e.reference_id})`);
      continue;
    }
    expiredBy.set(g.id, -Number(e.mc));
  }
  for (const g of grants) {
    const rows = expiredBy.get(g.id) ?? 0;
    if (rows !== g.expired_mc) flag(`grant ${g.id}: ${g.expired_mc} expired, its expiry rows took ${rows}`);
  }
  // Each grant's movements (its history, which the liability report reads) sum to what it has left.
  const movedBy = await movementsByGrant(db);
  for (const g of grants) {
    const mc = movedBy.get(g.id) ?? 0;
    if (mc !== g.remaining_mc) flag(`grant ${g.id}: ${g.remaining_mc} left, its movements total ${mc}`);
  }
  for (const id of movedBy.keys()) if (!byId.has(id)) flag(`movements of grant ${id}, which does not exist`);
  return grants.length;
}

const MOVEMENTS_PAGE = 5000;

/**
 * Each grant's movements summed, read page by page in the primary key's order (no index is
 * by grant, migration 025: a GROUP BY would sort every movement, on SQLite in memory), so
 * memory grows with the grants, not with the movements.
 */
export async function movementsByGrant(db: Kysely<DB>, page = MOVEMENTS_PAGE): Promise<Map<string, number>> {
  const sums = new Map<string, number>();
  const first = db
    .selectFrom('grant_movements')
    .select(['transaction_id', 'grant_id', 'amount_mc'])
    .orderBy('transaction_id')
    .orderBy('grant_id')
    .limit(page);
  let q = first;
  for (;;) {
    const rows = await q.execute();
    for (const r of rows) sums.set(r.grant_id, (sums.get(r.grant_id) ?? 0) + Number(r.amount_mc));
    const last = rows.at(-1);
    if (!last || rows.length < page) return sums;
    q = first.where((eb) => eb(eb.refTuple('transaction_id', 'grant_id'), '>', eb.tuple(last.transaction_id, last.grant_id)));
  }
}
