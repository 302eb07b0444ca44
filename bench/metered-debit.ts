/**
 * What the bench's writer-only tools (no HTTP) submit and how they announce it: the metered
 * route's debit (`POST /api/messages`: a `usage` debit of 100 mc with its usage row and hourly
 * rollup) and the balance-change announcement as it was before 3 December 2026 (one autocommit
 * `select pg_notify` per 25 changes on the ordinary pool after each commit). Shared by
 * bench/capacity-worker.ts, bench/prof-pg-notify.ts and bench/prof-pg-prepared.ts so the three
 * measure the same request; the last two also share their counted run (`countedBatches`).
 */
import type pg from 'pg';
import { createUser } from '../src/core/accounts/create-user.js';
import { createCore } from '../src/core/index.js';
import type { LedgerKey } from '../src/core/ledger/hash.js';
import { keyLedger } from '../src/core/ledger/key-ledger.js';
import type { BalanceChange } from '../src/core/ledger/types.js';
import type { LedgerWriter } from '../src/core/ledger/writer.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Database } from '../src/db/open.js';
import { pgBackendCpu, pgCpuBetween } from './common.js';

/** Submits one metered-message debit on `userId`'s account to the writer. */
export function meteredDebit(writer: LedgerWriter, userId: string) {
  return writer.submit({
    kind: 'debit',
    userId,
    amountMc: 100,
    type: 'usage',
    description: 'Message',
    usage: {
      operation: 'message',
      unit: 'per_message',
      quantityMilli: 1000,
      ruleId: null,
      ruleCreditsMc: 100,
      costMc: 100,
      metadata: { to: '+15551234567', length: 24 },
    },
  });
}

/** `n` batches of `size` debits submitted at once, each batch awaited before the next (so every batch has that size). */
export async function debitBatches(debit: () => Promise<unknown>, size: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.all(Array.from({ length: size }, debit));
}

/**
 * 20 warm-up batches, then `n` counted batches of `size` metered debits on `userId` through
 * `writer`: per debit, the CPU microseconds of the Postgres backends whose application_name is
 * `app` (pgBackendCpu) and of this process; the batches the writer committed in the counted
 * run and its wall time.
 */
export async function countedBatches(
  writer: LedgerWriter,
  userId: string,
  app: string,
  size: number,
  n: number,
): Promise<{ pgUs: number; processUs: number; batches: number; ms: number }> {
  const debit = () => meteredDebit(writer, userId);
  await debitBatches(debit, size, 20);
  const pg0 = await pgBackendCpu(app);
  const c0 = process.cpuUsage();
  const b0 = writer.stats.batches;
  const t0 = performance.now();
  await debitBatches(debit, size, n);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const pgSeconds = pgCpuBetween(pg0, await pgBackendCpu(app));
  const debits = size * n;
  return {
    pgUs: Math.round((pgSeconds * 1e6) / debits),
    processUs: Math.round((c.user + c.system) / debits),
    batches: writer.stats.batches - b0,
    ms,
  };
}

/** The announcement of before 3 December 2026: one autocommit NOTIFY per 25 changes on `pool`, after each commit. */
export function announceThroughPool(writer: LedgerWriter, pool: pg.Pool | undefined, tag: string): void {
  writer.onCommit((changes: BalanceChange[]) => {
    for (let k = 0; k < changes.length; k += 25) {
      const c = changes.slice(k, k + 25);
      pool?.query('select pg_notify($1, $2)', ['credit_balance', JSON.stringify({ i: tag, c })]).catch(() => {});
    }
  });
}

const DAY = 86_400_000;

/**
 * Migrates `database`, keys its ledger with `key` and funds `accounts` users through the
 * writer, each with `grants` grants (one: expiring in a year; more: a day apart from 30 days
 * on, as bench/grants.ts's 20-grant accounts). For the writer-only counting tools.
 */
export async function fundedLedger(database: Database, key: LedgerKey, accounts: number, grants = 1) {
  await migrateToLatest(database.db);
  await keyLedger(database, key);
  const core = createCore(database, { ledgerKey: key });
  const users: string[] = [];
  for (let i = 0; i < accounts; i++) {
    const u = await createUser(core.writer, { email: `m${i}@bench`, name: 'bench' });
    for (let g = 0; g < grants; g++) {
      const expiresAt = Date.now() + (grants === 1 ? 365 : 30 + g) * DAY;
      await core.ledger.grant(u.id, 1_000_000_000_000, 'adjustment', { grant: { expiresAt } });
    }
    users.push(u.id);
  }
  return { core, users };
}

/**
 * `accounts` users funded by fundedLedger (`grants` grants each) under the
 * WAL counting tools' load (bench/wal-pages.ts, bench/pg-wal.ts): `batches(n, size)` submits
 * n batches of `size` metered debits, account i of a batch being i mod `accounts`, and returns
 * how many commits the writer made for them.
 */
export async function spreadLoad(database: Database, key: LedgerKey, accounts: number, grants = 1) {
  const { core, users } = await fundedLedger(database, key, accounts, grants);
  let k = 0;
  let committed = 0;
  core.writer.onBatch(() => committed++);
  const debit = () => meteredDebit(core.writer, users[k++ % accounts] as string);
  return {
    core,
    async batches(n: number, size: number): Promise<number> {
      const before = committed;
      await debitBatches(debit, size, n);
      return committed - before;
    },
  };
}
