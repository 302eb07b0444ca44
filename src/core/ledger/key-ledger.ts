/**
 * Brings the ledger under its key, once: the release before hashed every row with plain
 * SHA-256, which anyone who can write to the database can recompute. Every chain is
 * re-hashed with the ledger key in one transaction, keeping each row's seq and fields,
 * and `ledger_state` records the keyed scheme with the key's check value. Afterwards a
 * start with another key is refused, so chains never mix two keys.
 *
 * Who may do it: an unkeyed ledger is exactly what someone without the key produces to
 * launder a forged row (reset the state, re-hash every chain in plain SHA-256), so
 * re-keying rows is the operator's explicit act (`credits migrate --key-ledger`), after
 * proving the ledger with `credits verify --allow-unkeyed`. A start keys by itself only a
 * ledger with no rows (a new database: nothing to launder) or, outside production, one that
 * shows no trace of having been keyed; production refuses the rest (`LedgerNotKeyed`). A
 * ledger that says unkeyed but shows it was keyed before (its key check value, or chains
 * hashed with the key) is refused always, even to the explicit command (`LedgerDowngraded`).
 *
 * A row that did not verify under the old hash is not vouched for: it keeps its stored
 * hash, so `credits verify` reports it exactly where it was (and the rows after it are
 * chained from it as before). Such rows are listed in the report.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/open.js';
import { exclusiveTransaction } from '../../db/transaction.js';
import type { DB } from '../../db/schema.js';
import { GENESIS_HASH, KEYED_SCHEME, LEGACY_SCHEME, type LedgerKey, hashRow, legacyHashRow } from './hash.js';
import { ledgerPages } from './chain-pages.js';

export interface KeyLedgerReport {
  /** Rows re-hashed with the key by this call (0 when the ledger was keyed already). */
  rehashed: number;
  chains: number;
  /** Rows that did not verify under the old hash and so were left as they were (at most 50 shown). */
  unverified: string[];
}

/** Production does not re-key an unkeyed ledger by itself. */
export class LedgerNotKeyed extends Error {
  constructor(rows: number) {
    super(
      `The ledger (${rows} rows) is hashed the old, unkeyed way (plain SHA-256, which anyone who can write to the database can recompute), and production does not re-key it by itself: prove it first with \`credits verify --allow-unkeyed\` (and --heads FILE if you exported heads), then run \`credits migrate --key-ledger\` (see docs/operations.md, "Keying the ledger").`,
    );
  }
}

/** The state says unkeyed, yet the ledger was keyed before: reset by someone without the key. */
export class LedgerDowngraded extends Error {
  constructor(readonly traces: string[]) {
    super(
      `ledger_state says the ledger is unkeyed, but it was keyed before (${traces.join('; ')}): someone reset it to the old scheme, which is how a row forged without the key would be laundered. It is not re-keyed: restore the database from a backup and verify it (see docs/operations.md, "Keying the ledger").`,
    );
  }
}

/** The ledger is keyed with another key than the one given. */
export class LedgerKeyMismatch extends Error {
  constructor() {
    super(
      'LEDGER_KEY is not the key this ledger is hashed with: start with the key it was written with (see docs/architecture.md, "The ledger").',
    );
  }
}

const PAGE = 5000;
const CHUNK = 400;

export interface KeyLedgerOptions {
  /**
   * The operator asked for it (`credits migrate --key-ledger`): re-key the rows whatever
   * the environment. Otherwise (a start) only a ledger without rows is keyed, and outside
   * production one that shows no trace of a keying. True by default.
   */
  explicit?: boolean;
  /** A start in production (never re-keys rows by itself). */
  production?: boolean;
  now?: number;
}

/**
 * Re-hashes every chain written by the release before with `key` (once); refuses another
 * key, a ledger that was keyed and reset, and (unless explicit) rows it may not re-key.
 */
export async function keyLedger(database: Database, key: LedgerKey, opts: KeyLedgerOptions = {}): Promise<KeyLedgerReport> {
  const state = await database.db.selectFrom('ledger_state').selectAll().where('id', '=', 'chains').executeTakeFirst();
  if (state?.hash_scheme === KEYED_SCHEME) {
    if (state.key_check !== key.check) throw new LedgerKeyMismatch();
    return { rehashed: 0, chains: 0, unverified: [] };
  }
  // SQLite: the write lock up front; Postgres: the state row, locked, serialises instances starting together.
  return exclusiveTransaction(database, (trx) => rehash(trx, database, key, opts));
}

/**
 * What shows that an unkeyed-looking ledger was keyed before: the key check value left in
 * `ledger_state`, or chain heads hashed with this key. Someone with write access can erase
 * both (which is why production never re-keys rows by itself, and verify calls an unkeyed
 * ledger a violation); what they forgot to erase is caught here.
 */
export async function keyingTraces(db: Kysely<DB>, key: LedgerKey, state: { key_check: string | null } | undefined): Promise<string[]> {
  const traces: string[] = [];
  if (state?.key_check) traces.push('its key check value is still recorded');
  let keyedHeads = 0;
  let after = '';
  for (;;) {
    const heads = await db
      .selectFrom('credit_transactions as t')
      .innerJoin('user_credits as u', (j) => j.onRef('u.user_id', '=', 't.user_id').onRef('u.seq', '=', 't.seq'))
      .selectAll('t')
      .where('t.user_id', '>', after)
      .orderBy('t.user_id')
      .limit(PAGE)
      .execute();
    for (const r of heads) if (hashRow(key, r.prev_hash, r) === r.hash) keyedHeads++;
    if (heads.length < PAGE) break;
    after = (heads[heads.length - 1] as { user_id: string }).user_id;
  }
  if (keyedHeads > 0) traces.push(`${keyedHeads} chain head(s) are hashed with the ledger key`);
  return traces;
}

async function rehash(trx: Kysely<DB>, database: Database, key: LedgerKey, opts: KeyLedgerOptions): Promise<KeyLedgerReport> {
  const now = opts.now ?? Date.now();
  const postgres = database.dialect === 'postgres';
  let q = trx.selectFrom('ledger_state').selectAll().where('id', '=', 'chains');
  if (postgres) q = q.forUpdate();
  const state = await q.executeTakeFirst();
  if (state?.hash_scheme === KEYED_SCHEME) {
    // Another instance did it meanwhile.
    if (state.key_check !== key.check) throw new LedgerKeyMismatch();
    return { rehashed: 0, chains: 0, unverified: [] };
  }
  if (state && state.hash_scheme !== LEGACY_SCHEME) throw new Error(`Unknown ledger hash scheme ${state.hash_scheme}.`);
  const traces = await keyingTraces(trx, key, state);
  if (traces.length > 0) throw new LedgerDowngraded(traces);
  const rows = Number(
    (
      await trx
        .selectFrom('credit_transactions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  // A start keys by itself only what cannot hide a forgery: no rows, or (outside production) no trace of a keying.
  if (rows > 0 && opts.explicit === false && opts.production) throw new LedgerNotKeyed(rows);
  // No other writer while the chains change (an instance of the release before, say).
  if (postgres) await sql`lock table user_credits, credit_transactions in exclusive mode`.execute(trx);

  const unverified: string[] = [];
  let rehashed = 0;
  let chains = 0;
  type Chain = { id: string; oldHead: string; newHead: string; seq: number };
  let account = null as Chain | null;
  const heads: Chain[] = [];
  for await (const rows of ledgerPages(trx)) {
    const updates: { id: string; prev: string; hash: string }[] = [];
    for (const r of rows) {
      if (account?.id !== r.user_id) {
        if (account) heads.push(account);
        account = { id: r.user_id, oldHead: GENESIS_HASH, newHead: GENESIS_HASH, seq: 0 };
        chains++;
      }
      const intact = r.seq === account.seq + 1 && r.prev_hash === account.oldHead && legacyHashRow(r.prev_hash, r) === r.hash;
      const hash = intact ? hashRow(key, account.newHead, r) : r.hash;
      if (!intact && unverified.length < 50) unverified.push(`account ${r.user_id} row ${r.seq} (${r.id})`);
      updates.push({ id: r.id, prev: account.newHead, hash });
      account.oldHead = r.hash;
      account.newHead = hash;
      account.seq = r.seq;
    }
    await writeRows(trx, database, updates);
    rehashed += updates.length;
  }
  if (account) heads.push(account);
  // An account whose stored head was not its last row's keeps it, so verify still reports it.
  await writeHeads(trx, database, heads);
  const values = { hash_scheme: KEYED_SCHEME, key_check: key.check, updated_at: now };
  if (state) await trx.updateTable('ledger_state').set(values).where('id', '=', 'chains').execute();
  else
    await trx
      .insertInto('ledger_state')
      .values({ id: 'chains', ...values })
      .execute();
  return { rehashed, chains, unverified };
}

async function writeRows(trx: Kysely<DB>, database: Database, rows: { id: string; prev: string; hash: string }[]) {
  if (rows.length === 0) return;
  if (database.dialect === 'postgres') {
    await sql`update credit_transactions as t set prev_hash = v.p, hash = v.h
      from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.prev)}::text[], ${rows.map((r) => r.hash)}::text[]) as v(id, p, h)
      where t.id = v.id`.execute(trx);
    return;
  }
  for (let i = 0; i < rows.length; i += CHUNK) {
    const values = sql.join(rows.slice(i, i + CHUNK).map((r) => sql`(${r.id}, ${r.prev}, ${r.hash})`));
    await sql`with v(id, p, h) as (values ${values})
      update credit_transactions set prev_hash = v.p, hash = v.h from v where credit_transactions.id = v.id`.execute(trx);
  }
}

async function writeHeads(trx: Kysely<DB>, database: Database, heads: { id: string; oldHead: string; newHead: string }[]) {
  for (let i = 0; i < heads.length; i += database.dialect === 'postgres' ? PAGE : CHUNK) {
    const part = heads.slice(i, i + (database.dialect === 'postgres' ? PAGE : CHUNK));
    if (database.dialect === 'postgres') {
      await sql`update user_credits as u set last_hash = v.n
        from unnest(${part.map((h) => h.id)}::text[], ${part.map((h) => h.oldHead)}::text[], ${part.map((h) => h.newHead)}::text[]) as v(id, o, n)
        where u.user_id = v.id and u.last_hash = v.o`.execute(trx);
    } else {
      const values = sql.join(part.map((h) => sql`(${h.id}, ${h.oldHead}, ${h.newHead})`));
      await sql`with v(id, o, n) as (values ${values})
        update user_credits set last_hash = v.n from v where user_credits.user_id = v.id and user_credits.last_hash = v.o`.execute(trx);
    }
  }
}
