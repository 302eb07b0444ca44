/**
 * Loading and locking what a batch touches, before anything is decided: the stored
 * outcomes of its idempotency keys, its holds, the usage rows it reverses, and its
 * accounts. Holds, then accounts, are locked in id order (FOR UPDATE on Postgres; SQLite's
 * writer holds the whole database), one order everywhere, so two instances never deadlock.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../../db/open.js';
import {
  EVERY_GRANT,
  type AccountState,
  type BatchState,
  type MemberState,
  type ReservationState,
  type UsageState,
  grantDemand,
  holdAccount,
  holdsMadeIn,
  grantIdsOf,
  idemId,
  needsAllocations,
  reservationIdsOf,
  usageIdsOf,
} from './batch-state.js';
import { monthOf } from './decide-members.js';
import { type AllocationState, type GrantState, freeOf, ordered, valueOfCredits } from './grants.js';
import { grantsSpendingOrder } from '../../db/migrations/023-index-predicates-without-in.js';
import { GRANT_IS_OPEN } from '../../db/migrations/026-grants-open-flag.js';
import type { AccountRow, GrantRow, ReservationRow, UsageRow } from '../../db/schema.js';
import type { LedgerOp } from './types.js';
import { type BatchHooks, namedAccounts } from './pipeline.js';
import { loadMembers, memberPairs } from './load-members.js';
import { type ReadScope, compiledOnce, oneOf, parts, readByIds } from './load-parts.js';

/**
 * The grants of `userIds` that have credits left. The 1 is a literal, as in the index
 * `grants_open` (where open = 1, migration 026): SQLite uses a partial index for a bound value only
 * by comparing the value it has when preparing, and then prepares the statement again each
 * time that parameter is bound (about 50,000 instructions a run, bench/analysis.md).
 */
const openGrants = readByIds<GrantRow>((trx, dialect, userIds) =>
  trx
    .selectFrom('grants')
    .selectAll()
    .where(oneOf(dialect, 'user_id', userIds))
    .where(sql.raw<boolean>(GRANT_IS_OPEN))
    .compile(),
);

/** The grants `ids` (those an expiry names), whatever is left of them. */
const grantsById = readByIds<GrantRow>((trx, dialect, ids) =>
  trx
    .selectFrom('grants')
    .selectAll()
    .where(oneOf(dialect, 'id', ids))
    .compile(),
);

/** The stored outcomes of the idempotency keys `ids`. */
export const storedKeys = readByIds<{ id: string; fingerprint: string; result: string }>((trx, dialect, ids) =>
  trx
    .selectFrom('idempotency_keys')
    .select(['id', 'fingerprint', 'result'])
    .where(oneOf(dialect, 'id', ids))
    .compile(),
);

/** The holds `ids`, in id order, locked on PostgreSQL. */
const holdRows = readByIds<ReservationRow>((trx, dialect, ids) => {
  const q = trx
    .selectFrom('reservations')
    .selectAll()
    .where(oneOf(dialect, 'id', ids))
    .orderBy('id');
  return (dialect === 'postgres' ? q.forUpdate() : q).compile();
});

/** The usage rows `ids`. */
const usageRows = readByIds<UsageRow>((trx, dialect, ids) =>
  trx
    .selectFrom('usage_tracking')
    .selectAll()
    .where(oneOf(dialect, 'id', ids))
    .compile(),
);

/** Which of the usage rows `ids` a stored row already reverses. */
const reversals = readByIds<{ reverses_id: string | null }>((trx, dialect, ids) =>
  trx
    .selectFrom('usage_tracking')
    .select('reverses_id')
    .where(oneOf(dialect, 'reverses_id', ids))
    .compile(),
);

/** What the active holds of the accounts `ids` reserved from which grants. */
const activeAllocations = readByIds<{ reservation_id: string; grant_id: string; amount_mc: number; user_id: string }>((trx, dialect, ids) =>
  trx
    .selectFrom('reservation_grants as rg')
    .innerJoin('reservations as r', 'r.id', 'rg.reservation_id')
    .select(['rg.reservation_id', 'rg.grant_id', 'rg.amount_mc', 'r.user_id'])
    .where(oneOf(dialect, 'r.user_id', ids))
    .where('r.status', '=', sql.lit('active'))
    .compile(),
);

/** What the charges of the ledger rows `ids` took from which grants, with those grants' prices. */
const chargeMovements = readByIds<{ transaction_id: string; amount_mc: number; value_cents: number; credits_mc: number }>(
  (trx, dialect, ids) =>
    trx
      .selectFrom('grant_movements as m')
      .innerJoin('grants as g', 'g.id', 'm.grant_id')
      .select(['m.transaction_id', 'm.amount_mc', 'g.value_cents', 'g.credits_mc'])
      .where(oneOf(dialect, 'm.transaction_id', ids))
      .where('m.amount_mc', '<', sql.lit(0))
      .compile(),
);

/** `select <what> from grants h`: the first open grant of the account `userId` (a column of the outer query) in the spending order. */
function firstGrantSql(dialect: Dialect, what: RawBuilder<unknown>, userId: RawBuilder<unknown>): RawBuilder<unknown> {
  // The order as the index `grants_open` keeps it (migrations 021, 023 and 026), so this is one step down it.
  return sql`select ${what} from grants h where h.user_id = ${userId} and h.${sql.raw(GRANT_IS_OPEN)}
    order by ${sql.raw(grantsSpendingOrder(dialect === 'postgres'))} limit 1`;
}

/**
 * SQLite: the first open grant in the spending order of each of `userIds` that has one (PostgreSQL
 * reads it in the statement that locks the accounts). A join on the grant's rowid: `g.id in
 * (select ...)` built a temporary b-tree of the ids for each run and found each grant through
 * the id's index (bench/analysis.md, "A batch's reads as raw rows").
 */
const firstGrants = readByIds<GrantRow>((trx, dialect, userIds) =>
  sql`select g.* from user_credits u join grants g on g.rowid = (${firstGrantSql(dialect, sql`h.rowid`, sql.ref('u.user_id'))})
      where ${oneOf(dialect, 'u.user_id', userIds)}`.compile(trx),
);

/** The rows of the accounts `userIds` (SQLite: the writer holds the database, nothing to lock). */
const accountRows = readByIds<AccountRow>((trx, dialect, userIds) =>
  trx
    .selectFrom('user_credits')
    .selectAll()
    .where(oneOf(dialect, 'user_id', userIds))
    .orderBy('user_id')
    .compile(),
);

/** PostgreSQL: an account row locked, with its grants as lockAccounts reads them. */
type LockedAccount = AccountRow & { open_grants: GrantRow[] | null; locked_version: string; snapshot_version: string | null };

/**
 * PostgreSQL: locks the accounts `part` in id order and reads, in the same statement, all open
 * grants of those in `every` and the first open grant of those in `first`, with each account's
 * row version as locked and as in the statement's snapshot (loadBatch says why). Compiled once.
 */
const lockAccounts = compiledOnce((trx, [every, first, part]) =>
  trx
    .selectFrom('user_credits')
    .selectAll()
    .select([
      sql<GrantRow[] | null>`case
        when user_credits.user_id = any(${every}::text[])
          then (select json_agg(g) from grants g where g.user_id = user_credits.user_id and g.${sql.raw(GRANT_IS_OPEN)})
        when user_credits.user_id = any(${first}::text[])
          then (select json_agg(g) from (${firstGrantSql('postgres', sql`*`, sql.ref('user_credits.user_id'))}) g)
        end`.as('open_grants'),
      sql<string>`user_credits.xmin::text`.as('locked_version'),
      sql<string | null>`(select s.xmin::text from user_credits s where s.user_id = user_credits.user_id)`.as('snapshot_version'),
    ])
    .where(oneOf('postgres', 'user_id', part as string[]))
    .orderBy('user_id')
    .forUpdate()
    .compile(),
);

/**
 * Which accounts need which of their grants loaded, from what the batch may take of their free
 * credits (batch-state.ts `grantDemand`): every open grant, the first in the spending order
 * (enough when its free credits cover the demand; load-batch reads the rest when they do not),
 * or none (the ops add grants or take nothing).
 */
function grantNeeds(ids: string[], demand: ReadonlyMap<string, number>) {
  const every: string[] = [];
  const first: string[] = [];
  for (const id of ids) {
    const d = demand.get(id) ?? EVERY_GRANT;
    if (d === EVERY_GRANT) every.push(id);
    else if (d > 0) first.push(id);
  }
  return { every, first };
}

/** Reads (and on Postgres locks) everything `ops` touch, inside the open transaction `trx`. */
export async function loadBatch(scope: ReadScope, ops: readonly LedgerOp[], now: number, hooks?: BatchHooks): Promise<BatchState> {
  const { trx, dialect } = scope;
  const forUpdate = dialect === 'postgres';

  // Idempotency: keys already applied replay their stored outcome.
  const stored = new Map<string, { fingerprint: string; result: string }>();
  const keyIds = [...new Set(ops.map(idemId).filter((k): k is string => k !== null))];
  for (const part of parts(dialect, keyIds)) {
    for (const r of await storedKeys(scope, part)) stored.set(r.id, r);
  }
  if (hooks?.beforeLocks) {
    const { userIds, others } = namedAccounts(ops);
    await hooks.beforeLocks(userIds, others);
  }

  // Holds, then accounts, each locked in id order.
  const reservations = new Map<string, ReservationState>();
  for (const part of parts(dialect, [...new Set(ops.flatMap(reservationIdsOf))].sort())) {
    for (const row of await holdRows(scope, part)) reservations.set(row.id, { row, isNew: false, dirty: false });
  }
  const userIds = new Set<string>();
  for (const op of ops) {
    if ('userId' in op && op.userId) userIds.add(op.userId);
    for (const rid of reservationIdsOf(op)) {
      const r = reservations.get(rid);
      if (r) userIds.add(r.row.user_id);
    }
  }

  // Usage rows to reverse, and which of them already are (the unique reverses_id is the guard
  // across batches and instances; this read lets the op refuse cleanly instead).
  const usages = new Map<string, UsageState>();
  for (const part of parts(dialect, [...new Set(ops.flatMap(usageIdsOf))])) {
    for (const row of await usageRows(scope, part)) usages.set(row.id, { row, reversed: false });
    for (const d of await reversals(scope, part)) {
      const u = d.reverses_id ? usages.get(d.reverses_id) : undefined;
      if (u) u.reversed = true;
    }
  }
  await loadChargeValues(scope, usages);

  // Accounts, locked in id order, each with the grants with credits left that its ops can
  // reach in the spending order (grantDemand): all of them, only the first, or none. Where the
  // first one's free credits do not cover what the ops may take, all are read after it. On
  // Postgres in the same statement as the lock (one round trip, whatever the number of grants).
  const accounts = new Map<string, AccountState>();
  const grants = new Map<string, GrantState[]>();
  const ids = [...userIds].sort();
  for (const id of ids) grants.set(id, []);
  const demand = grantDemand(ops, reservations);
  const loaded = new Set<string>();
  const addGrant = (g: GrantRow) => {
    const list = grants.get(g.user_id);
    if (!list || loaded.has(g.id)) return;
    loaded.add(g.id);
    list.push({ row: g, isNew: false, dirty: false });
  };
  /** Accounts whose first grant was read: all their grants are needed unless its free credits cover the demand. */
  const firstRead: string[] = [];
  /** Accounts all of whose grants are read after the lock. */
  const more = new Set<string>();
  // The members the ops name are known now (holds and usage rows are read): on Postgres their read
  // goes out right behind the lock, on the same connection, and runs once the lock is held
  // (loadMembers), so it needs no round trip of its own on the writer's pipelined connection.
  const month = monthOf(now);
  const pairs = memberPairs(ops, reservations, usages);
  let members: Promise<Map<string, MemberState>> | undefined;
  for (const part of parts(dialect, ids)) {
    const need = grantNeeds(part, demand);
    firstRead.push(...need.first);
    if (forUpdate) {
      // The grants are read in the statement's snapshot, taken before it waited for a lock; the
      // account row locked is the latest. Where another transaction changed the account
      // meanwhile (its row version differs from the snapshot's), all its grants are read again
      // now, after the lock. Every change of a grant rewrites its account's row.
      const locking = trx.executeQuery<LockedAccount>(lockAccounts(trx, [need.every, need.first, part]));
      // Postgres takes every account in one part: this is the last lock. A failed lock is the error
      // thrown; the read behind it then fails too (the transaction is aborted), unheard.
      members = loadMembers(trx, dialect, pairs, month);
      members.catch(() => {});
      const { rows } = await locking;
      for (const { open_grants, locked_version, snapshot_version, ...row } of rows) {
        accounts.set(row.user_id, { row, startAvailableMc: row.balance_mc - row.reserved_mc, dirty: false });
        if (locked_version === snapshot_version) for (const g of open_grants ?? []) addGrant(g);
        else if ((demand.get(row.user_id) ?? EVERY_GRANT) > 0) more.add(row.user_id);
      }
    } else {
      const rows = await accountRows(scope, part);
      for (const row of rows) accounts.set(row.user_id, { row, startAvailableMc: row.balance_mc - row.reserved_mc, dirty: false });
      if (need.every.length > 0) for (const g of await openGrants(scope, need.every)) addGrant(g);
      if (need.first.length > 0) for (const g of await firstGrants(scope, need.first)) addGrant(g);
    }
  }
  hooks?.locked?.(ids);
  for (const id of firstRead) {
    const list = grants.get(id) as GrantState[];
    // None: the account has no open grant, nothing more to read. Read again after a stale snapshot: all already.
    const first = list[0];
    if (first && freeOf(first.row) < (demand.get(id) as number)) more.add(id);
  }
  for (const part of parts(dialect, [...more])) {
    for (const g of await openGrants(scope, part)) addGrant(g);
  }
  // Grants an expiry names, whatever is left of them.
  for (const part of parts(dialect, [...new Set(ops.flatMap(grantIdsOf))])) {
    for (const g of await grantsById(scope, part)) addGrant(g);
  }
  for (const list of grants.values()) ordered(list);

  // What the active holds of the accounts that settle a hold or claw back reserved from which grants.
  const allocations = new Map<string, AllocationState[]>();
  const allocationRows: AllocationState[] = [];
  const allocationsLoaded = new Set<string>();
  // A capture or release may settle a hold the batch itself makes: its account is the reserve's
  // (a forced hold's charge beyond its reservations comes out of the account's other holds).
  const madeHere = holdsMadeIn(ops);
  for (const op of ops) {
    if (!needsAllocations(op)) continue;
    if ('userId' in op && op.userId) allocationsLoaded.add(op.userId);
    for (const rid of reservationIdsOf(op)) {
      const owner = holdAccount(rid, reservations, madeHere);
      if (owner !== undefined) allocationsLoaded.add(owner);
    }
  }
  for (const part of parts(dialect, [...allocationsLoaded].sort())) {
    for (const r of await activeAllocations(scope, part)) {
      const a: AllocationState = {
        reservationId: r.reservation_id,
        grantId: r.grant_id,
        userId: r.user_id,
        amountMc: r.amount_mc,
        isNew: false,
        dirty: false,
      };
      allocationRows.push(a);
      const list = allocations.get(a.reservationId);
      if (list) list.push(a);
      else allocations.set(a.reservationId, [a]);
    }
  }
  return {
    stored,
    accounts,
    reservations,
    usages,
    grants,
    allocations,
    allocationsLoaded,
    allocationRows,
    members: await (members ?? loadMembers(trx, dialect, pairs, month)),
    month,
  };
}

/**
 * What the charge of each usage row to reverse took from which grants (its ledger row's grant
 * movements), valued at those grants' prices: the credits given back are worth as much (a
 * charge that took more than it charged, a capture whose hold also expired credits, is scaled
 * to what it charged).
 */
async function loadChargeValues(scope: ReadScope, usages: Map<string, UsageState>): Promise<void> {
  const byTx = new Map<string, UsageState>();
  for (const u of usages.values()) if (u.row.transaction_id) byTx.set(u.row.transaction_id, u);
  const taken = new Map<UsageState, { mc: number; cents: number }>();
  for (const part of parts(scope.dialect, [...byTx.keys()])) {
    for (const r of await chargeMovements(scope, part)) {
      const u = byTx.get(r.transaction_id) as UsageState;
      const t = taken.get(u) ?? { mc: 0, cents: 0 };
      t.mc -= r.amount_mc;
      t.cents += valueOfCredits(-r.amount_mc, r.value_cents, r.credits_mc);
      taken.set(u, t);
    }
  }
  for (const [u, t] of taken) {
    const charged = u.row.charged_mc;
    u.valueCents = t.mc <= charged ? t.cents : valueOfCredits(charged, t.cents, t.mc);
  }
}
