/**
 * Where PostgreSQL's backends' CPU per metered request goes (issue 21, goal 3): the ledger
 * writer alone (no HTTP, as main.ts wires it: pipelined, prepared writes, the changes announced
 * with NOTIFY after each commit and an instance's listener running) commits batches of the
 * metered route's debit (bench/metered-debit.ts) on one account, BATCH debits submitted at once
 * so every batch has that size. Each variant takes one component away, on a migrated schema of
 * its own, and the variants are alternated over ROUNDS rounds; the difference from `base` is
 * that component's cost. Per debit: the CPU of the Postgres backends found by application_name
 * (the writer's connections and the listener) from /proc, this process's CPU, and the WAL the
 * cluster wrote (the WAL insert position's advance, cluster-wide: other databases' writes count too).
 *
 * Variants (default: all but the index ones; name them to choose):
 * - `base`: as main.ts;
 * - `no-fk`: `session_replication_role = replica` on the writer's connections: no foreign-key
 *   trigger fires (measurement only: the schema keeps its keys);
 * - `async-commit`: `synchronous_commit = off`: commit without waiting for the WAL flush;
 * - `no-notify`: no announcement and no listener;
 * - `generic`: `plan_cache_mode = force_generic_plan`: a prepared statement planned once, not every batch
 *   (the writer's pool has it since db/open.ts's writerConfig: `base` is then the same);
 * - `custom`: `plan_cache_mode = auto`, PostgreSQL's default: custom plans, planned every batch (base before writerConfig);
 * - `unnamed`: the writer's statements unnamed (parsed and planned every batch), not prepared;
 * - `drop:<index>[+<index>…]`: those indexes (or the constraints they back) dropped.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> npx tsx bench/prof-pg-backend.ts [BATCH=32] [BATCHES=300] [ROUNDS=4] [variant …]
 */
import { readFileSync } from 'node:fs';
import { LedgerWriter } from '../src/core/ledger/writer.js';
import { openDatabase } from '../src/db/open.js';
import { BalanceEvents } from '../src/server/events.js';
import { createTestCore, TEST_PG_URL, testLedgerKey, type TestCore } from '../test/support/db.js';
import { makeUser } from '../test/support/factories.js';
import { withAppName } from './common.js';
import { countedBatches } from './metered-debit.js';

const BATCH = Number(process.argv[2] ?? 32);
const BATCHES = Number(process.argv[3] ?? 300);
const ROUNDS = Number(process.argv[4] ?? 4);
const NAMES = process.argv.length > 5 ? process.argv.slice(5) : ['base', 'no-fk', 'async-commit', 'no-notify', 'unnamed'];
const APP = `prof-pg-backend-${process.pid}`;
const la = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');

type Variant = { name: string; core: TestCore; userId: string; settings: string; prepared: boolean; notify: boolean };

async function variant(name: string): Promise<Variant> {
  const core = await createTestCore('postgres');
  const user = await makeUser(core, { credits: 1_000_000_000 });
  const v: Variant = { name, core, userId: user.id, settings: '', prepared: true, notify: true };
  if (name === 'no-fk') v.settings = '-c session_replication_role=replica';
  else if (name === 'async-commit') v.settings = '-c synchronous_commit=off';
  else if (name === 'generic') v.settings = '-c plan_cache_mode=force_generic_plan';
  else if (name === 'custom') v.settings = '-c plan_cache_mode=auto';
  else if (name === 'no-notify') v.notify = false;
  else if (name === 'unnamed') v.prepared = false;
  else if (name.startsWith('drop:')) {
    const pool = core.database.pgPool;
    for (const index of name.slice(5).split('+')) {
      const c = await pool?.query(
        'select conrelid::regclass::text as t from pg_constraint where conname = $1 and connamespace = $2::regnamespace',
        [index, core.testDb.pgSchema],
      );
      const table = (c?.rows[0] as { t: string } | undefined)?.t;
      if (table) await pool?.query(`alter table ${table} drop constraint ${index}`);
      else await pool?.query(`drop index ${index}`);
    }
  } else if (name !== 'base') throw new Error(`unknown variant ${name}`);
  return v;
}

async function wal(core: TestCore): Promise<number> {
  const r = await core.database.pgPool?.query(`select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text as b`);
  return Number((r?.rows[0] as { b: string } | undefined)?.b);
}

async function run(v: Variant) {
  const schema = v.core.testDb.pgSchema;
  // The URL's options replace openDatabase's (node-postgres): the schema's search_path goes with them.
  const url = new URL(withAppName(TEST_PG_URL, APP));
  url.searchParams.set('options', `-c search_path=${schema} ${v.settings}`.trim());
  const database = await openDatabase({ databaseUrl: url.toString(), pgPreparedWrites: v.prepared });
  const writer = new LedgerWriter(database, { ledgerKey: testLedgerKey });
  const events = new BalanceEvents(database);
  if (v.notify) {
    await events.start(withAppName(TEST_PG_URL, APP), `-c search_path=${schema}`);
    writer.onCommit((changes) => events.publish(changes));
    writer.announceWith(events.announcer);
  }
  const w0 = await wal(v.core);
  const m = await countedBatches(writer, v.userId, APP, BATCH, BATCHES);
  const walPerDebit = ((await wal(v.core)) - w0) / (BATCH * (BATCHES + 20));
  await writer.close();
  await events.close();
  await database.close();
  return { ...m, walPerDebit };
}

const variants: Variant[] = [];
for (const name of NAMES) variants.push(await variant(name));
console.log(`batches of ${BATCH}, ${BATCHES} a run, ${ROUNDS} rounds; load average ${la()}`);
const results = new Map<string, { pgUs: number; processUs: number; wal: number; ms: number }[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
    const m = await run(v);
    const one = { pgUs: m.pgUs, processUs: m.processUs, wal: Math.round(m.walPerDebit), ms: m.ms / m.batches };
    results.set(v.name, [...(results.get(v.name) ?? []), one]);
    console.log(
      `round ${r + 1} ${v.name}: postgres ${one.pgUs} µs, process ${one.processUs} µs a debit; ${one.wal} B WAL; ${one.ms.toFixed(2)} ms a batch; load ${la()}`,
    );
  }
}
console.log(`load average after: ${la()}`);
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const base = results.get('base');
console.log(
  '| variant | Postgres CPU µs/debit, each round | median | median − base | process µs/debit (median) | WAL B/debit (median, cluster) | ms/batch (median) |',
);
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const [name, ms] of results) {
  const m = med(ms.map((x) => x.pgUs));
  const d = base ? (m - med(base.map((x) => x.pgUs))).toFixed(1) : '';
  console.log(
    `| ${name} | ${ms.map((x) => x.pgUs).join(', ')} | ${m} | ${d} | ${med(ms.map((x) => x.processUs))} | ${med(ms.map((x) => x.wal))} | ${med(ms.map((x) => x.ms)).toFixed(2)} |`,
  );
}
for (const v of variants) await v.core.dispose();
