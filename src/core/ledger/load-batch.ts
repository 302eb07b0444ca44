/**
 * Loading and locking what a batch touches, before anything is decided: the stored
 * outcomes of its idempotency keys, its holds, the usage rows it reverses, and its
 * accounts. Holds, then accounts, are locked in id order (FOR UPDATE on Postgres; SQLite's
 * writer holds the whole database), one order everywhere, so two instances never deadlock.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../../db/open.js';
import type { DB } from '../../db/schema.js';
import {
  type AccountState,
  type BatchState,
  type ReservationState,
  type UsageState,
  idemId,
  reservationIdsOf,
  usageIdsOf,
} from './batch-state.js';
import type { LedgerOp } from './types.js';

/** SQLite's limit on the parameters of one statement is kept well clear of. */
const CHUNK = 400;

/** `column in (ids)`; on Postgres `= any($1)`, one parameter and one statement text for any number of ids. */
function oneOf(dialect: Dialect, column: string, ids: string[]): RawBuilder<boolean> {
  return dialect === 'postgres'
    ? sql<boolean>`${sql.ref(column)} = any(${ids}::text[])`
    : sql<boolean>`${sql.ref(column)} in (${sql.join(ids)})`;
}

/** `ids` in parts a statement can take: on Postgres all at once (one array parameter). */
function* parts(dialect: Dialect, ids: string[]): Generator<string[]> {
  const size = dialect === 'postgres' ? Number.MAX_SAFE_INTEGER : CHUNK;
  for (let i = 0; i < ids.length; i += size) yield ids.slice(i, i + size);
}

/** Reads (and on Postgres locks) everything `ops` touch, inside the open transaction `trx`. */
export async function loadBatch(trx: Kysely<DB>, dialect: Dialect, ops: readonly LedgerOp[]): Promise<BatchState> {
  const forUpdate = dialect === 'postgres';

  // Idempotency: keys already applied replay their stored outcome.
  const stored = new Map<string, { fingerprint: string; result: string }>();
  const keyIds = [...new Set(ops.map(idemId).filter((k): k is string => k !== null))];
  for (const part of parts(dialect, keyIds)) {
    const rows = await trx
      .selectFrom('idempotency_keys')
      .select(['id', 'fingerprint', 'result'])
      .where(oneOf(dialect, 'id', part))
      .execute();
    for (const r of rows) stored.set(r.id, r);
  }

  // Holds, then accounts, each locked in id order.
  const reservations = new Map<string, ReservationState>();
  for (const part of parts(dialect, [...new Set(ops.flatMap(reservationIdsOf))].sort())) {
    let q = trx
      .selectFrom('reservations')
      .selectAll()
      .where(oneOf(dialect, 'id', part))
      .orderBy('id');
    if (forUpdate) q = q.forUpdate();
    for (const row of await q.execute()) reservations.set(row.id, { row, isNew: false, dirty: false });
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
    for (const row of await trx
      .selectFrom('usage_tracking')
      .selectAll()
      .where(oneOf(dialect, 'id', part))
      .execute()) {
      usages.set(row.id, { row, reversed: false });
    }
    const done = await trx
      .selectFrom('usage_tracking')
      .select('reverses_id')
      .where(oneOf(dialect, 'reverses_id', part))
      .execute();
    for (const d of done) {
      const u = d.reverses_id ? usages.get(d.reverses_id) : undefined;
      if (u) u.reversed = true;
    }
  }

  const accounts = new Map<string, AccountState>();
  for (const part of parts(dialect, [...userIds].sort())) {
    let q = trx
      .selectFrom('user_credits')
      .selectAll()
      .where(oneOf(dialect, 'user_id', part))
      .orderBy('user_id');
    if (forUpdate) q = q.forUpdate();
    for (const row of await q.execute()) {
      accounts.set(row.user_id, { row, startAvailableMc: row.balance_mc - row.reserved_mc, dirty: false });
    }
  }
  return { stored, accounts, reservations, usages };
}
