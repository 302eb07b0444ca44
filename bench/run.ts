/**
 * npm run bench [-- --quick] [-- --seconds N] [-- --runs N] [-- --dialect sqlite|postgres]
 *
 * Debits per second through the group-commit writer against the naive loop (one
 * transaction per debit: lock the account row, check, update, insert the hashed ledger
 * row, commit), on the same database, with 64 concurrent submitters, for 10,000 accounts
 * (a random one per debit) and for one hot account. Each figure is the median of several
 * runs; the ratio is writer / naive from the same run. Prints a table and writes
 * bench/results.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { newId } from '../src/core/ids.js';
import { GENESIS_HASH, hashRow } from '../src/core/ledger/hash.js';
import { LedgerWriter } from '../src/core/ledger/writer.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { type Database, type Dialect, openDatabase } from '../src/db/open.js';
import type { DB } from '../src/db/schema.js';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const seconds = Number(arg('seconds') ?? (quick ? 1.5 : 4));
const runs = Number(arg('runs') ?? (quick ? 1 : 3));
const ACCOUNTS = 10_000;
const CONCURRENCY = 64;
const COST = 100;
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Bench {
  database: Database;
  users: string[];
  dispose(): Promise<void>;
}

async function setup(dialect: Dialect): Promise<Bench> {
  let database: Database;
  let dispose: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'credits-bench-'));
    database = await openDatabase({ sqlitePath: join(dir, 'bench.db'), sqliteSynchronous: 'FULL' });
    dispose = async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const schema = `bench_${process.pid}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade; create schema ${schema}`);
    await c.end();
    database = await openDatabase({ databaseUrl: PG_URL, pgSchema: schema, pgPoolSize: 10 });
    dispose = async () => {
      await database.close();
      const d = new pg.Client({ connectionString: PG_URL });
      await d.connect();
      await d.query(`drop schema if exists ${schema} cascade`);
      await d.end();
    };
  }
  await migrateToLatest(database.db);
  const now = Date.now();
  const users = Array.from({ length: ACCOUNTS }, () => newId(now));
  for (let i = 0; i < users.length; i += 1000) {
    const part = users.slice(i, i + 1000);
    await database.db
      .insertInto('users')
      .values(part.map((id) => ({ id, email: `${id}@bench`, name: 'bench', password_hash: 'x', role: 'user' as const, stripe_customer_id: null, created_at: now, updated_at: now })))
      .execute();
    await database.db
      .insertInto('user_credits')
      .values(part.map((id) => ({ user_id: id, balance_mc: 1e12, reserved_mc: 0, lifetime_purchased_mc: 0, lifetime_used_mc: 0, seq: 0, last_hash: GENESIS_HASH, updated_at: now })))
      .execute();
  }
  return { database, users, dispose };
}

type Pick = () => string;

async function timed(fn: (stop: () => boolean) => Promise<number>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const n = await fn(() => performance.now() >= end);
  return n / ((performance.now() - started) / 1000);
}

async function writerRun(b: Bench, pick: Pick): Promise<number> {
  const writer = new LedgerWriter(b.database);
  const rate = await timed(async (stop) => {
    let n = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (!stop()) {
          await writer.submit({ kind: 'debit', userId: pick(), amountMc: COST, type: 'usage' });
          n++;
        }
      }),
    );
    return n;
  });
  await writer.close();
  return rate;
}

/** One transaction per debit, the way a straightforward service would write it. */
async function naiveDebit(db: Kysely<DB>, dialect: Dialect, userId: string) {
  await db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('user_credits').selectAll().where('user_id', '=', userId);
    if (dialect === 'postgres') q = q.forUpdate();
    const a = await q.executeTakeFirstOrThrow();
    if (a.balance_mc - a.reserved_mc < COST) throw new Error('insufficient');
    const now = Date.now();
    const row = {
      id: newId(now),
      user_id: userId,
      seq: a.seq + 1,
      type: 'usage' as const,
      amount_mc: -COST,
      reserved_change_mc: 0,
      balance_after_mc: a.balance_mc - COST,
      reserved_after_mc: a.reserved_mc,
      description: 'Usage',
      metadata: null,
      reference_type: null,
      reference_id: null,
      idempotency_key: null,
      prev_hash: a.last_hash,
      hash: '',
      created_at: now,
    };
    row.hash = hashRow(row.prev_hash, row);
    await trx
      .updateTable('user_credits')
      .set({ balance_mc: row.balance_after_mc, seq: row.seq, last_hash: row.hash, lifetime_used_mc: a.lifetime_used_mc + COST, updated_at: now })
      .where('user_id', '=', userId)
      .where(sql`balance_mc - reserved_mc`, '>=', COST)
      .execute();
    await trx.insertInto('credit_transactions').values(row).execute();
  });
}

async function naiveRun(b: Bench, pick: Pick): Promise<number> {
  const { db, dialect } = b.database;
  return timed(async (stop) => {
    let n = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (!stop()) {
          try {
            await naiveDebit(db, dialect, pick());
            n++;
          } catch (e) {
            // Postgres may abort one of two transactions that wait on each other; count only successes.
            if (!/deadlock|could not serialize/.test(String(e))) throw e;
          }
        }
      }),
    );
    return n;
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function postgresUp(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

interface Row {
  dialect: Dialect;
  shape: string;
  writer: number;
  naive: number;
}

async function main() {
  const only = arg('dialect') as Dialect | undefined;
  const dialects: Dialect[] = only ? [only] : ['sqlite', 'postgres'];
  const rows: Row[] = [];
  for (const dialect of dialects) {
    if (dialect === 'postgres' && !(await postgresUp())) {
      console.log(`postgres: ${PG_URL} does not answer; skipped`);
      continue;
    }
    const b = await setup(dialect);
    const shapes: [string, Pick][] = [
      [`${ACCOUNTS.toLocaleString('en')} accounts`, () => b.users[Math.floor(Math.random() * b.users.length)] as string],
      ['one hot account', () => b.users[0] as string],
    ];
    for (const [shape, pick] of shapes) {
      const w: number[] = [];
      const n: number[] = [];
      for (let r = 0; r < runs; r++) {
        w.push(await writerRun(b, pick));
        n.push(await naiveRun(b, pick));
        process.stdout.write(`  ${dialect} ${shape} run ${r + 1}/${runs}: writer ${w.at(-1)?.toFixed(0)}/s, naive ${n.at(-1)?.toFixed(0)}/s\n`);
      }
      rows.push({ dialect, shape, writer: median(w), naive: median(n) });
    }
    await b.dispose();
  }
  const fmt = (x: number) => Math.round(x).toLocaleString('en');
  const table = [
    '| database | accounts | writer (debits/s) | naive (debits/s) | writer / naive |',
    '|---|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.dialect} | ${r.shape} | ${fmt(r.writer)} | ${fmt(r.naive)} | ${(r.writer / r.naive).toFixed(1)}x |`),
  ].join('\n');
  console.log(`\n${table}\n`);
  const md = `# Benchmark results

Command: \`npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}\` (${runs} run(s) of ${seconds} s per figure, median; ${CONCURRENCY} concurrent submitters; debits of ${COST} mc).
Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. SQLite synchronous=FULL (WAL); PostgreSQL synchronous_commit=on, pool of 10 connections.
Run at ${new Date().toISOString()}.

## Ledger: debits per second, group-commit writer vs one transaction per debit

The naive loop is what a straightforward service does per request: BEGIN; SELECT the account FOR UPDATE;
check; UPDATE the balance; INSERT the hashed ledger row; COMMIT. The writer decides a whole batch in
memory against locked rows and writes it with a few multi-row statements in one transaction.

${table}

Target (issue 2): the writer at least 5x the naive loop on PostgreSQL.
`;
  writeFileSync(new URL('./results.md', import.meta.url), md);
  console.log('written bench/results.md');
}

await main();
