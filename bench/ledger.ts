/**
 * Ledger section of `npm run bench`: debits per second through the group-commit writer
 * against the naive loop (one transaction per debit), on the same database with the same
 * durability, for N accounts (a random one per debit) and for one hot account, with C
 * submitters each keeping one debit in flight. Both write the same rows: the balance (with
 * sequence and chain head) and a `credit_transactions` row chained to the account's
 * previous one and hashed (HMAC-SHA256) under the ledger key. The debits are guarded
 * `adjustment` debits: a `usage` debit also writes its usage record and rollup, which the
 * HTTP section measures. Each figure is the median of several runs; the ratio is
 * writer / naive from the same run.
 */
import { tmpdir } from 'node:os';
import { type Kysely, sql } from 'kysely';
import { newId } from '../src/core/ids.js';
import { GENESIS_HASH, LedgerKey, hashRow } from '../src/core/ledger/hash.js';
import { keyLedger } from '../src/core/ledger/key-ledger.js';
import { verifyLedger } from '../src/core/ledger/verify.js';
import { LedgerWriter } from '../src/core/ledger/writer.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Database, Dialect } from '../src/db/open.js';
import type { DB } from '../src/db/schema.js';

export interface LedgerOptions {
  seconds: number;
  runs: number;
  concurrency: number;
  accounts: number;
  verify: boolean;
  dialects: Dialect[];
}
let SECONDS = 4;
let RUNS = 3;
let CONCURRENCY = 64;
let ACCOUNTS = 10_000;
let VERIFY = true;
const COST = 100;
const START_MC = 1_000_000_000_000;
/** The ledger key of the section's accounts (bench/capacity-worker.ts hashes under it too). */
export const LEDGER_KEY_TEXT = 'bench-ledger-key-bench-ledger-key-0123456789';
const KEY = new LedgerKey(LEDGER_KEY_TEXT);
import { PG_URL, fmt, freshDatabase, median, pgQuery, postgresUp } from './common.js';
const PG_POOL = 10;

export interface Bench {
  database: Database;
  users: string[];
  info: string;
  /** The Postgres schema the accounts live in (postgres only). */
  schema?: string;
  dispose(): Promise<void>;
}

/**
 * A fresh database (SQLite file or Postgres schema) with `accounts` funded accounts, each
 * opening with one hashed purchase row so `verifyLedger` checks whatever is written after.
 */
export async function ledgerSetup(dialect: Dialect, accounts = ACCOUNTS): Promise<Bench> {
  const { database, schema, dispose } = await freshDatabase(dialect, '', PG_POOL);
  let info: string;
  if (dialect === 'sqlite') {
    const v = await sql<{ v: string }>`select sqlite_version() as v`.execute(database.db);
    info = `SQLite ${v.rows[0]?.v} (better-sqlite3, WAL, synchronous=FULL, file in ${tmpdir()})`;
  } else {
    const v = await pgQuery(
      `select current_setting('server_version') as v, current_setting('synchronous_commit') as sc, current_setting('wal_sync_method') as ws`,
    );
    const s = v.rows[0] as { v: string; sc: string; ws: string } | undefined;
    info = `PostgreSQL ${s?.v} (local, synchronous_commit=${s?.sc}, wal_sync_method=${s?.ws}; pool of ${PG_POOL} connections)`;
  }
  await migrateToLatest(database.db);
  await keyLedger(database, KEY);
  const now = Date.now();
  const users = Array.from({ length: accounts }, () => newId(now));
  // Each account opens empty (the start of its chain), then is funded through the writer with
  // one adjustment grant, the way the service funds one: its ledger row and its grant, so
  // `verifyLedger` checks everything written afterwards.
  for (let i = 0; i < users.length; i += 500) {
    const part = users.slice(i, i + 500);
    await database.db
      .insertInto('users')
      .values(
        part.map((id) => ({
          id,
          email: `${id}@bench`,
          name: 'bench',
          password_hash: 'x',
          role: 'user' as const,
          stripe_customer_id: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    // Each user's personal account, which the balance belongs to.
    await database.db
      .insertInto('accounts')
      .values(part.map((id) => ({ id, kind: 'personal' as const, name: 'bench', created_at: now, updated_at: now })))
      .execute();
    await database.db
      .insertInto('user_credits')
      .values(
        part.map((id) => ({
          user_id: id,
          balance_mc: 0,
          reserved_mc: 0,
          lifetime_purchased_mc: 0,
          lifetime_used_mc: 0,
          seq: 0,
          last_hash: GENESIS_HASH,
          updated_at: now,
        })),
      )
      .execute();
  }
  const funding = new LedgerWriter(database, { ledgerKey: KEY });
  await Promise.all(
    users.map((userId) => funding.submit({ kind: 'credit', userId, amountMc: START_MC, type: 'adjustment', description: 'Bench credits' })),
  );
  await funding.close();
  if (dialect === 'postgres') await sql`analyze`.execute(database.db);
  return { database, users, info, ...(schema ? { schema } : {}), dispose };
}

type Pick = () => string;

interface Measured {
  rate: number;
  /** Mean operations per committed transaction. */
  perCommit: number;
}

/** Runs `lane` on CONCURRENCY lanes for `seconds`; each call is one debit. */
async function timed(seconds: number, lane: () => Promise<void>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  let n = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await lane();
        n++;
      }
    }),
  );
  return n / ((performance.now() - started) / 1000);
}

async function writerRun(b: Bench, pick: Pick, seconds = SECONDS): Promise<Measured> {
  const writer = new LedgerWriter(b.database, { ledgerKey: KEY });
  const rate = await timed(seconds, async () => {
    await writer.submit({ kind: 'debit', userId: pick(), amountMc: COST, type: 'adjustment' });
  });
  await writer.close();
  return { rate, perCommit: writer.stats.ops / Math.max(1, writer.stats.batches) };
}

/**
 * One transaction per debit, the way a straightforward service writes it: BEGIN; the
 * guarded UPDATE (available >= cost) returning the new balance and the chain head; the
 * hashed ledger row and the new chain head; COMMIT. On Postgres the last two go in one
 * statement (a data-modifying CTE), so the loop makes four round trips per debit, plus one for
 * the account's grant and its movement.
 */
async function naiveDebit(db: Kysely<DB>, dialect: Dialect, userId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const now = Date.now();
    const a = await trx
      .updateTable('user_credits')
      .set((eb) => ({
        balance_mc: eb('balance_mc', '-', COST),
        seq: eb('seq', '+', 1),
        updated_at: now,
      }))
      .where('user_id', '=', userId)
      .where('available_mc', '>=', COST)
      .returning(['balance_mc', 'reserved_mc', 'seq', 'last_hash'])
      .executeTakeFirst();
    if (!a) throw new Error('insufficient credits: the bench accounts should never run dry');
    const row = {
      id: newId(now),
      user_id: userId,
      seq: a.seq,
      type: 'adjustment' as const,
      amount_mc: -COST,
      reserved_change_mc: 0,
      balance_after_mc: a.balance_mc,
      reserved_after_mc: a.reserved_mc,
      description: 'Adjustment',
      metadata: null,
      reference_type: null,
      reference_id: null,
      idempotency_key: null,
      prev_hash: a.last_hash,
      hash: '',
      created_at: now,
    };
    row.hash = hashRow(KEY, row.prev_hash, row);
    if (dialect === 'postgres') {
      await trx
        .with('t', (q) => q.insertInto('credit_transactions').values(row))
        .updateTable('user_credits')
        .set({ last_hash: row.hash })
        .where('user_id', '=', userId)
        .execute();
    } else {
      await trx.insertInto('credit_transactions').values(row).execute();
      await trx.updateTable('user_credits').set({ last_hash: row.hash }).where('user_id', '=', userId).execute();
    }
    // The account's one grant (the bench funds each with one) gives the credits, with the
    // movement that records it, as the writer does.
    if (dialect === 'postgres') {
      await sql`with g as (update grants set remaining_mc = remaining_mc - ${COST} where user_id = ${userId} returning id)
        insert into grant_movements (transaction_id, grant_id, user_id, amount_mc, created_at)
        select ${row.id}, g.id, ${userId}, ${-COST}, ${now} from g`.execute(trx);
    } else {
      const g = await trx
        .updateTable('grants')
        .set((eb) => ({ remaining_mc: eb('remaining_mc', '-', COST) }))
        .where('user_id', '=', userId)
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('grant_movements')
        .values({ transaction_id: row.id, grant_id: g.id, user_id: userId, amount_mc: -COST, created_at: now })
        .execute();
    }
  });
}

async function naiveRun(b: Bench, pick: Pick, seconds = SECONDS): Promise<Measured> {
  const { db, dialect } = b.database;
  return { rate: await timed(seconds, () => naiveDebit(db, dialect, pick())), perCommit: 1 };
}

export interface LedgerRow {
  dialect: Dialect;
  shape: string;
  writer: number;
  naive: number;
  writerRuns: number[];
  naiveRuns: number[];
  perCommit: number;
}

export interface LedgerResult {
  rows: LedgerRow[];
  infos: string[];
  checks: string[];
  markdown: string;
}

export async function ledgerBench(o: LedgerOptions): Promise<LedgerResult> {
  SECONDS = o.seconds;
  RUNS = o.runs;
  CONCURRENCY = o.concurrency;
  ACCOUNTS = o.accounts;
  VERIFY = o.verify;
  const dialects = o.dialects;

  const rows: LedgerRow[] = [];
  const infos: string[] = [];
  const checks: string[] = [];
  console.log(
    `ledger bench: ${RUNS} run(s) of ${SECONDS} s per figure, ${CONCURRENCY} in flight, ${ACCOUNTS.toLocaleString('en')} accounts`,
  );
  for (const dialect of dialects) {
    if (dialect === 'postgres' && !(await postgresUp())) {
      console.log(`postgres: ${PG_URL} does not answer; skipped`);
      infos.push(`PostgreSQL: ${PG_URL} did not answer; not measured.`);
      continue;
    }
    const b = await ledgerSetup(dialect);
    infos.push(b.info);
    const spread: Pick = () => b.users[Math.floor(Math.random() * b.users.length)] as string;
    const shapes: [string, Pick][] = [
      [`${ACCOUNTS.toLocaleString('en')} accounts`, spread],
      ['one hot account', () => b.users[0] as string],
    ];
    // Warm up both paths (JIT, connections, caches) before anything counts.
    await writerRun(b, spread, 0.5);
    await naiveRun(b, spread, 0.5);
    for (const [shape, pick] of shapes) {
      const w: Measured[] = [];
      const n: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        // Alternate which goes first, so drift (checkpoints, a busy neighbour) hits both alike.
        if (r % 2 === 0) {
          w.push(await writerRun(b, pick));
          n.push((await naiveRun(b, pick)).rate);
        } else {
          n.push((await naiveRun(b, pick)).rate);
          w.push(await writerRun(b, pick));
        }
        const last = w.at(-1) as Measured;
        console.log(
          `  ${dialect} ${shape} run ${r + 1}/${RUNS}: writer ${fmt(last.rate)}/s (${last.perCommit.toFixed(1)} per commit), naive ${fmt(n.at(-1) as number)}/s`,
        );
      }
      rows.push({
        dialect,
        shape,
        writer: median(w.map((x) => x.rate)),
        naive: median(n),
        writerRuns: w.map((x) => x.rate),
        naiveRuns: n,
        perCommit: median(w.map((x) => x.perCommit)),
      });
    }
    if (VERIFY) {
      const started = performance.now();
      const report = await verifyLedger(b.database.db, KEY);
      const line = `${dialect}: verifyLedger over everything both paths wrote: ${report.ok ? 'clean' : 'VIOLATIONS'} (${report.transactions.toLocaleString('en')} ledger rows, ${report.accounts.toLocaleString('en')} accounts, ${((performance.now() - started) / 1000).toFixed(1)} s)`;
      console.log(`  ${line}`);
      checks.push(line);
      if (!report.ok) {
        console.error(report.violations.slice(0, 10).join('\n'));
        process.exitCode = 1;
      }
    }
    await b.dispose();
  }

  const table = [
    '| database | accounts | writer (debits/s) | naive (debits/s) | writer / naive | debits per writer commit |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.dialect} | ${r.shape} | ${fmt(r.writer)} | ${fmt(r.naive)} | ${(r.writer / r.naive).toFixed(1)}x | ${r.perCommit.toFixed(1)} |`,
    ),
  ].join('\n');
  const runsTable = [
    '| database | accounts | writer runs (debits/s) | naive runs (debits/s) | ratio per run |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.dialect} | ${r.shape} | ${r.writerRuns.map(fmt).join(', ')} | ${r.naiveRuns.map(fmt).join(', ')} | ${r.writerRuns.map((w, i) => `${(w / (r.naiveRuns[i] as number)).toFixed(1)}x`).join(', ')} |`,
    ),
  ].join('\n');
  const pgRows = rows.filter((r) => r.dialect === 'postgres');
  const target = pgRows.length
    ? pgRows.map((r) => `${r.shape}: ${(r.writer / r.naive).toFixed(1)}x, ${r.writer / r.naive >= 5 ? 'met' : 'NOT met'}`).join('; ')
    : 'Postgres not measured';
  console.log(`\n${table}\n\nTarget (writer >= 5x naive on PostgreSQL): ${target}\n`);

  const markdown = `## Ledger: debits per second, group-commit writer vs one transaction per debit

${table}

Target: the writer at least 5x the naive loop on PostgreSQL. ${target}.

Every run:

${runsTable}

${checks.map((c) => `- ${c}`).join('\n')}

### What is compared

- **writer**: \`LedgerWriter.submit({ kind: 'debit', ... })\` as the service calls it. Operations that
  arrive while a batch commits form the next batch: one transaction locks the batch's accounts
  (\`SELECT ... FOR UPDATE\` on Postgres, \`BEGIN IMMEDIATE\` on SQLite), decides every debit in
  arrival order in memory, and writes all ledger rows and balances with a few multi-row statements.
- **naive**: one transaction per debit, as a straightforward service does it: \`BEGIN\`; guarded
  \`UPDATE user_credits SET balance_mc = balance_mc - cost, seq = seq + 1, ... WHERE user_id = $1 AND
  available_mc >= cost RETURNING balance_mc, reserved_mc, seq, last_hash\`; the hashed ledger row and
  the new chain head (\`WITH t AS (INSERT INTO credit_transactions ...) UPDATE user_credits SET
  last_hash = ...\`, one statement on Postgres; two on SQLite); \`COMMIT\`. Same database, same
  durability, same pool (Postgres: up to ${PG_POOL} transactions at once; SQLite: one connection), and
  the same row contents (sequence, balance_after, prev_hash, hash), so \`verifyLedger\` checks both.
- Durability is the same for both: every acknowledged debit is committed (SQLite WAL with
  synchronous=FULL fsyncs each commit; Postgres synchronous_commit=on flushes WAL before
  COMMIT returns). The writer's gain is fewer commits (and fewer round trips), not weaker ones.

### Where a writer batch spends its time (profile)

Profiled with \`node --cpu-prof\` and per-statement timings (Kysely's \`log\`), 64 debits per
batch on 10,000 accounts, Postgres on the same 2-vCPU machine. The Node process is idle more
than half the time: a batch is bound by round trips and by Postgres's work, not by JavaScript
(hashing, deciding and building the statements take well under 1 ms of a batch). What the
profile led to, in \`src/core/ledger/apply-batch.ts\`:

- The batch's writes on Postgres are one statement (data-modifying CTEs: ledger rows, balances,
  holds, usage rows, rollups, idempotency records), each table's rows sent as one array per
  column through \`unnest\`. Before: one statement per table with one bind parameter per value
  (about 1,000 for 64 ledger rows). A batch is now four round trips: BEGIN, lock, write, COMMIT.
- The balance update finds its rows with \`user_id = any($ids)\` (index probes). Joined with a
  VALUES list, the planner chose a hash join over a sequential scan of all accounts
  (\`EXPLAIN ANALYZE\`: 2.6 ms for 64 rows, now 1.5 ms).
- Lists of ids (locks, idempotency lookups) are one array parameter on Postgres.

Same-run A/B against the previous code: +30-40% writer throughput on 10,000 accounts. What
remains per batch is the row locks, the foreign-key checks of the inserted rows, the index
inserts and the WAL flush at COMMIT; the naive loop pays all of these per debit.
SQLite's batch time is mostly its COMMIT: with synchronous=FULL, the WAL write and fsync of
every page the batch dirtied (64 random accounts dirty a page or more each in every table and index they touch,
one hot account a handful), which is why its 10,000-account figure is well below its
hot-account one.
`;
  return { rows, infos, checks, markdown };
}
