/**
 * Proves the ledger, read-only: recomputes every balance, hold total and usage rollup
 * from the ledger rows; checks every row's keyed hash and every chain's links, so a row
 * edited, removed, reordered or forged (appended with a hash computed without the key)
 * shows; against chain heads exported earlier (`credits verify --export-heads`, kept
 * away from the database) proves nothing before those heads changed, so a chain cut back
 * together with its balance, or history rewritten even with the key, shows too; and
 * cross-checks the ledger against what caused it: every succeeded payment granted
 * exactly once (package plus bonus), its refund and dispute rows adding up to what the
 * payment says was clawed back (never more than it granted), and every `usage` row
 * having its usage record and back.
 *
 * Exact on a live database: every read happens in one snapshot (a REPEATABLE READ READ
 * ONLY transaction on Postgres; one read transaction on SQLite, whose WAL snapshot is
 * fixed by its first read), so debits committed while it runs can never show as a false
 * difference between a balance and its ledger.
 */
import type { Kysely } from 'kysely';
import type { DB, TransactionRow } from '../../db/schema.js';
import { USAGE_REVERSAL_REF } from './decide.js';
import { GENESIS_HASH, KEYED_SCHEME, type LedgerKey, hashRow, legacyHashRow } from './hash.js';
import { ledgerPages } from './chain-pages.js';
import { keyingTraces } from './key-ledger.js';
import { verifyGrants } from './verify-grants.js';
import { verifyPayments } from './verify-payments.js';
import { verifyMembers } from './verify-members.js';
import { verifyUsage } from './verify-usage.js';

/** An account's chain head: its last row's seq and hash. */
export interface ChainHead {
  account: string;
  seq: number;
  hash: string;
}

export interface VerifyOptions {
  /** Heads exported earlier: each chain must still hold that row, unchanged. */
  heads?: ChainHead[] | undefined;
  /**
   * Accept chains hashed the old, unkeyed way (checked with that hash) instead of calling
   * them a violation: for a restore of a backup made before the ledger was keyed. An
   * unkeyed ledger is otherwise a violation: anyone who can write to the database can
   * produce one, forged rows included.
   */
  allowUnkeyed?: boolean | undefined;
  /**
   * Called after each page of the ledger's walk with the rows checked so far and the rows
   * the snapshot holds (counted first only when this is given), so a long verify can say
   * how far it is.
   */
  onProgress?: ((checked: number, total: number) => void) | undefined;
}

export interface VerifyReport {
  ok: boolean;
  accounts: number;
  transactions: number;
  activeHolds: number;
  usageRows: number;
  rollupRows: number;
  payments: number;
  /** Grants checked (0 on a database from before grants). */
  grants: number;
  /** The heads checked against (0 without `heads`). */
  anchors: number;
  /**
   * False for chains hashed the old, unkeyed way (by the release before, or by someone
   * without the key who reset the ledger): checked with that hash, and a violation unless
   * `allowUnkeyed`.
   */
  keyed: boolean;
  /** Every chain's head now (accounts with at least one row), to export. */
  heads: ChainHead[];
  violations: string[];
}

const PURCHASED = new Set(['purchase', 'bonus', 'auto_recharge']);
/** Rows that may take available credits below zero: claw-backs, and a grant's expiry (a forced hold may be reserved beyond what is free). */
const CLAWBACK = new Set(['refund', 'dispute', 'expiry']);
const MAX_REPORTED = 200;

interface Running {
  seq: number;
  hash: string;
  balance: number;
  reserved: number;
  purchased: number;
  used: number;
}

export async function verifyLedger(db: Kysely<DB>, key: LedgerKey, opts: VerifyOptions = {}): Promise<VerifyReport> {
  // A database of a release before the keyed ledger has no ledger_state (a backup, say). Asked
  // here, outside the snapshot: a failed statement would end a Postgres transaction.
  const has = (table: 'ledger_state' | 'grants' | 'member_month_usage') =>
    db
      .selectFrom(table)
      .selectAll()
      .limit(1)
      .execute()
      .then(() => true)
      .catch(() => false);
  const keyedRelease = await has('ledger_state');
  const grantsRelease = await has('grants');
  const accountsRelease = await has('member_month_usage');
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => verifySnapshot(trx, key, opts, keyedRelease, grantsRelease, accountsRelease));
}

async function verifySnapshot(
  db: Kysely<DB>,
  key: LedgerKey,
  opts: VerifyOptions,
  keyedRelease: boolean,
  grantsRelease: boolean,
  accountsRelease = false,
): Promise<VerifyReport> {
  const violations: string[] = [];
  const flag = (msg: string) => {
    if (violations.length < MAX_REPORTED) violations.push(msg);
    else if (violations.length === MAX_REPORTED) violations.push('... more violations not shown');
  };

  // 0. How the chains are hashed: with this key; or, written by the release before and not
  // re-hashed yet, the old way (checked as such, and said: they are not keyed yet).
  const state = keyedRelease ? await db.selectFrom('ledger_state').selectAll().where('id', '=', 'chains').executeTakeFirst() : undefined;
  const keyed = state?.hash_scheme === KEYED_SCHEME;
  let hashOf: ((prev: string, r: TransactionRow) => string) | null = keyed ? (prev, r) => hashRow(key, prev, r) : legacyHashRow;
  if (keyed && state?.key_check !== key.check) {
    flag(
      'the ledger key is not the key the ledger is hashed with (LEDGER_KEY, or when it is unset the one generated in DATA_DIR/ledger-key): set LEDGER_KEY to the key it was written with; row hashes not checked',
    );
    hashOf = null;
  }
  if (!keyed) {
    if (!opts.allowUnkeyed) {
      flag(
        'the ledger is not keyed: its chains are hashed the old way (plain SHA-256), which anyone who can write to the database can recompute, forged rows included. Re-key it with `credits migrate --key-ledger` once it is proved; verify a restore of a backup made before the ledger was keyed with --allow-unkeyed',
      );
    }
    // Even then: an unkeyed ledger that was keyed before was reset by someone without the key.
    const traces = await keyingTraces(db, key, state);
    if (traces.length > 0)
      flag(`the ledger says it is not keyed, but it was keyed before (${traces.join('; ')}): it was reset to the old scheme`);
  }

  const anchors = new Map((opts.heads ?? []).map((h) => [h.account, h]));
  const anchored = new Set<string>();
  const running = new Map<string, Running>();
  let transactions = 0;

  // 1. Walk every account's chain in order.
  const total = opts.onProgress
    ? Number(
        (
          await db
            .selectFrom('credit_transactions')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirst()
        )?.n ?? 0,
      )
    : 0;
  for await (const rows of ledgerPages(db)) {
    for (const r of rows) {
      transactions++;
      let s = running.get(r.user_id);
      if (!s) {
        s = { seq: 0, hash: GENESIS_HASH, balance: 0, reserved: 0, purchased: 0, used: 0 };
        running.set(r.user_id, s);
      }
      const where = `account ${r.user_id} row ${r.seq} (${r.id})`;
      if (r.seq !== s.seq + 1) flag(`${where}: sequence gap, expected ${s.seq + 1}`);
      if (r.prev_hash !== s.hash) flag(`${where}: prev_hash does not match the previous row`);
      if (hashOf && hashOf(r.prev_hash, r) !== r.hash)
        flag(`${where}: hash does not match the row (edited, or written without the ledger key)`);
      const anchor = anchors.get(r.user_id);
      if (anchor && anchor.seq === r.seq) {
        anchored.add(r.user_id);
        if (anchor.hash !== r.hash) flag(`${where}: differs from the exported head at seq ${anchor.seq}: history up to it was rewritten`);
      }
      s.balance += r.amount_mc;
      s.reserved += r.reserved_change_mc;
      if (s.balance !== r.balance_after_mc) flag(`${where}: balance_after ${r.balance_after_mc}, recomputed ${s.balance}`);
      if (s.reserved !== r.reserved_after_mc) flag(`${where}: reserved_after ${r.reserved_after_mc}, recomputed ${s.reserved}`);
      if (s.reserved < 0) flag(`${where}: reserved credits below zero`);
      // Only claw-backs may push available credits below zero. (Settling a hold never
      // lowers available credits, so a capture after a claw-back is fine.)
      const availableDelta = r.amount_mc - r.reserved_change_mc;
      if (r.amount_mc < 0 && !CLAWBACK.has(r.type) && availableDelta < 0 && r.balance_after_mc - r.reserved_after_mc < 0) {
        flag(`${where}: a ${r.type} took the available credits below zero (only claw-backs may)`);
      }
      if (PURCHASED.has(r.type)) s.purchased += r.amount_mc;
      // A usage reversal gives a charge back and takes it out of lifetime used.
      if (r.type === 'usage' || (r.type === 'adjustment' && r.reference_type === USAGE_REVERSAL_REF)) s.used -= r.amount_mc;
      s.seq = r.seq;
      s.hash = r.hash;
    }
    opts.onProgress?.(transactions, total);
  }
  const heads: ChainHead[] = [...running.entries()].map(([account, s]) => ({ account, seq: s.seq, hash: s.hash }));

  // 2. Anchors: no chain is shorter than its exported head.
  for (const [account, h] of anchors) {
    if (anchored.has(account)) continue;
    const s = running.get(account);
    flag(`account ${account}: its chain has ${s?.seq ?? 0} rows, cut back below the exported head at seq ${h.seq}`);
  }

  // 3. Every account's stored state equals its recomputed state.
  const accounts = await db.selectFrom('user_credits').selectAll().execute();
  const holds = await db
    .selectFrom('reservations')
    .select(['user_id'])
    .select((eb) => [eb.fn.sum<number>('amount_mc').as('total'), eb.fn.countAll<number>().as('n')])
    .where('status', '=', 'active')
    .groupBy('user_id')
    .execute();
  const holdByUser = new Map(holds.map((h) => [h.user_id, Number(h.total)]));
  const activeHolds = holds.reduce((s, h) => s + Number(h.n), 0);
  const unaccounted = new Set(running.keys());
  for (const a of accounts) {
    const s = running.get(a.user_id) ?? { seq: 0, hash: GENESIS_HASH, balance: 0, reserved: 0, purchased: 0, used: 0 };
    const where = `account ${a.user_id}`;
    if (a.balance_mc !== s.balance) flag(`${where}: balance ${a.balance_mc}, ledger sums to ${s.balance}`);
    if (a.reserved_mc !== s.reserved) flag(`${where}: reserved ${a.reserved_mc}, ledger sums to ${s.reserved}`);
    if (a.available_mc !== a.balance_mc - a.reserved_mc) flag(`${where}: available is not balance - reserved`);
    if (a.seq !== s.seq) flag(`${where}: seq ${a.seq}, ledger has ${s.seq} rows`);
    if (a.last_hash !== s.hash) flag(`${where}: chain head does not match the last row`);
    if (a.lifetime_purchased_mc !== s.purchased) flag(`${where}: lifetime purchased ${a.lifetime_purchased_mc}, ledger ${s.purchased}`);
    if (a.lifetime_used_mc !== s.used) flag(`${where}: lifetime used ${a.lifetime_used_mc}, ledger ${s.used}`);
    const held = holdByUser.get(a.user_id) ?? 0;
    if (a.reserved_mc !== held) flag(`${where}: reserved ${a.reserved_mc}, active holds total ${held}`);
    unaccounted.delete(a.user_id);
  }
  for (const id of unaccounted) flag(`ledger rows for ${id}, which has no account`);

  // 3b. Grants: what the balances are made of.
  const grants = grantsRelease ? await verifyGrants(db, new Map(accounts.map((a) => [a.user_id, a.balance_mc])), flag) : 0;

  // 4. Usage: every charged usage record has its ledger row and back; rollups equal their usage rows.
  const { usageRows, rollupRows } = await verifyUsage(db, flag);

  // 4b. Organisation members: what their limits are decided against equals their usage rows.
  if (accountsRelease) await verifyMembers(db, flag);

  // 5. Payments: each granted exactly once, its claw-backs what its rows add up to.
  const payments = await verifyPayments(db, flag);

  return {
    ok: violations.length === 0,
    accounts: accounts.length,
    transactions,
    activeHolds,
    usageRows,
    rollupRows,
    payments,
    grants,
    anchors: anchors.size,
    keyed,
    heads,
    violations,
  };
}
