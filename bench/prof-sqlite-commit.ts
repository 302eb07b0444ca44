/**
 * Profiling aid (not part of `npm run bench`), issue 21 goal 2: where a SQLite batch's time
 * goes, with `synchronous=FULL`. `npx tsx bench/prof-sqlite-commit.ts [seconds] [rounds]`
 *
 * Two databases side by side, in alternating rounds of `seconds` (so drift in the machine's
 * load hits both alike): `inline`, the commit syncing and checkpointing on the event loop
 * (SQLite's own behaviour, `sqliteInlineCommit`), and `off-loop`, the default since
 * open.ts sqliteWalSync and wal-checkpointer.ts. Each runs the ledger's batches as the
 * writer does (64 metered debits with usage rows in flight over 50 accounts), timing each
 * phase of a batch with process.hrtime: read (load-batch: idempotency keys, accounts,
 * grants), decide (JavaScript only), write (write-sqlite's prepared statements), commit
 * (the COMMIT on the event loop: with `inline` its fsync and any checkpoint) and sync (the
 * WAL's fdatasync in the thread pool, during which the event loop is free). The event
 * loop's busy time per debit (eventLoopUtilization) is what the HTTP path competes with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { createUser } from '../src/core/accounts/create-user.js';
import { createCore } from '../src/core/index.js';
import { changedRows } from '../src/core/ledger/batch-state.js';
import { decideBatch } from '../src/core/ledger/decide.js';
import { LedgerKey } from '../src/core/ledger/hash.js';
import { keyLedger } from '../src/core/ledger/key-ledger.js';
import { loadBatch } from '../src/core/ledger/load-batch.js';
import type { LedgerOp } from '../src/core/ledger/types.js';
import { writeSqlite } from '../src/core/ledger/write-sqlite.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { type Database, openDatabase } from '../src/db/open.js';
import { load } from './common.js';

const KEY = new LedgerKey('bench-commit-key-bench-commit-key-0123456789');
const seconds = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 3);
const IN_FLIGHT = 64;
const MAX_BATCH = 500;

type Phases = { read: number; decide: number; write: number; commit: number; sync: number };
const zero = (): Phases => ({ read: 0, decide: 0, write: 0, commit: 0, sync: 0 });

async function setup(mode: 'inline' | 'off-loop') {
  const dir = mkdtempSync(join(tmpdir(), 'credits-prof-commit-'));
  const database = await openDatabase({
    sqlitePath: join(dir, 'bench.db'),
    sqliteSynchronous: 'FULL',
    sqliteInlineCommit: mode === 'inline',
  });
  await migrateToLatest(database.db);
  await keyLedger(database, KEY);
  const core = createCore(database, { ledgerKey: KEY });
  const users: string[] = [];
  for (let i = 0; i < 50; i++) {
    const u = await createUser(core.writer, { email: `c${i}@bench`, name: 'bench', password: 'bench-password-1', role: 'user' });
    await core.ledger.grant(u.id, 500_000_000, 'adjustment');
    users.push(u.id);
  }
  await core.writer.close();
  return { mode, dir, database, users, phases: zero(), batches: 0, ops: 0, busyMs: 0, wallMs: 0 };
}

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** One batch as the writer runs it (writer.ts runBatch, apply-batch.ts), each phase timed. */
async function batch(database: Database, ops: LedgerOp[], p: Phases) {
  const raw = database.sqlite;
  if (!raw) throw new Error('SQLite only');
  const commit = database.sqliteCommit;
  await database.db.connection().execute(async (conn) => {
    if (commit) await commit.begin();
    else await sql.raw('begin immediate').execute(conn);
    const now = Date.now();
    let t = process.hrtime.bigint();
    const state = await loadBatch({ trx: conn, dialect: 'sqlite' }, ops, now);
    p.read += ms(t);
    t = process.hrtime.bigint();
    const { pending } = decideBatch(ops, state, KEY, now);
    const rows = changedRows(state);
    p.decide += ms(t);
    t = process.hrtime.bigint();
    writeSqlite(raw, pending, rows, now);
    p.write += ms(t);
    t = process.hrtime.bigint();
    await sql.raw('commit').execute(conn);
    commit?.end();
    p.commit += ms(t);
  });
  if (commit) {
    const t = process.hrtime.bigint();
    await commit.sync();
    p.sync += ms(t);
  }
}

async function round(s: Awaited<ReturnType<typeof setup>>) {
  let n = 0;
  const queue: { op: LedgerOp; done: () => void }[] = [];
  let running = false;
  const end = performance.now() + seconds * 1000;
  const kick = () => {
    if (running) return;
    running = true;
    setImmediate(async () => {
      while (queue.length > 0) {
        const items = queue.splice(0, MAX_BATCH);
        await batch(
          s.database,
          items.map((x) => x.op),
          s.phases,
        );
        s.batches++;
        for (const x of items) x.done();
      }
      running = false;
    });
  };
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const userId = s.users[n % s.users.length] as string;
        const op: LedgerOp = {
          kind: 'debit',
          userId,
          amountMc: 1000,
          type: 'usage',
          usage: { operation: 'sms', unit: 'per_call', quantityMilli: 1000, ruleId: null, ruleCreditsMc: 1000, costMc: 1000 },
        };
        await new Promise<void>((done) => {
          queue.push({ op, done });
          kick();
        });
        n++;
      }
    }),
  );
  const elu = performance.eventLoopUtilization(elu0);
  s.busyMs += elu.active;
  s.wallMs += performance.now() - t0;
  s.ops += n;
}

const sides = [await setup('inline'), await setup('off-loop')];
console.log(`load ${load()}`);
for (let r = 0; r < rounds; r++) for (const s of r % 2 ? [...sides].reverse() : sides) await round(s);
console.log(`load ${load()}`);
for (const s of sides) {
  const per = (x: number) => ((x * 1000) / s.ops).toFixed(1);
  const p = s.phases;
  console.log(
    `${s.mode}: ${Math.round(s.ops / (s.wallMs / 1000))} debits/s, ${s.batches} batches of ${(s.ops / s.batches).toFixed(1)}; event loop busy ${per(s.busyMs)} µs per debit (${((100 * s.busyMs) / s.wallMs).toFixed(0)}% of the time); per debit: read ${per(p.read)} µs, decide ${per(p.decide)}, write ${per(p.write)}, commit on the loop ${per(p.commit)}, sync off the loop ${per(p.sync)}`,
  );
}
for (const s of sides) {
  await s.database.close();
  rmSync(s.dir, { recursive: true, force: true });
}
