/**
 * What announcing a batch's balance changes to the other instances costs (issue 21, goal 3):
 * the ledger writer alone (no HTTP) commits batches of the metered route's debit on one
 * account, BATCH debits submitted at once so every batch has that size, with the changes
 * announced in several ways, alternated on one schema, each with an instance's listener
 * (server/events.ts, LISTEN on its own connection) running:
 *
 * - `pool`: as before 3 December 2026, a separate autocommit `select pg_notify($1, $2)` on
 *   the ordinary pool after each commit (the old BalanceEvents.publish, reproduced here);
 * - `writer`: the writer's ChangeAnnouncer (what main.ts wires): one NOTIFY statement on the
 *   batch's own pipelined connection right after its commit, unawaited;
 * - `writer-unheard`: `writer` with no listener (what the listener's wake-up per batch costs);
 * - `none`: no announcement (the floor).
 *
 * Per debit: Postgres's backends' CPU (from /proc, found by application_name: the writer's
 * connections, the pool and the listener) and this process's; per batch: transactions
 * committed in the database (pg_stat_database.xact_commit: run it on a database of its own,
 * TEST_DATABASE_URL=.../some_db, so the count is the bench's alone; read before a mode's
 * connections open and after they close, since a busy backend reports late, so it covers the
 * warm-up's batches too) and, cluster-wide, WAL syncs (pg_stat_wal.wal_sync, which counts
 * other databases' too); wall time per batch.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> npx tsx bench/prof-pg-notify.ts [BATCH=32] [BATCHES=300] [ROUNDS=3]
 */
import { readFileSync } from 'node:fs';
import { LedgerWriter } from '../src/core/ledger/writer.js';
import { openDatabase } from '../src/db/open.js';
import { BalanceEvents } from '../src/server/events.js';
import { createTestCore, TEST_PG_URL, testLedgerKey } from '../test/support/db.js';
import { makeUser } from '../test/support/factories.js';
import { withAppName } from './common.js';
import { announceThroughPool, countedBatches } from './metered-debit.js';

const BATCH = Number(process.argv[2] ?? 32);
const BATCHES = Number(process.argv[3] ?? 300);
const ROUNDS = Number(process.argv[4] ?? 3);
const APP = `prof-pg-notify-${process.pid}`;
type Mode = 'pool' | 'writer' | 'writer-unheard' | 'none';
const MODES: Mode[] = ['pool', 'writer', 'writer-unheard', 'none'];

const core = await createTestCore('postgres');
const user = await makeUser(core, { credits: 100_000_000 });
const la = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');

/** The database's committed transactions and the cluster's WAL syncs so far (after the backends have reported). */
async function counts(): Promise<{ commits: number; syncs: number }> {
  await new Promise((r) => setTimeout(r, 1500));
  const r = await core.database.pgPool?.query(
    'select (select xact_commit from pg_stat_database where datname = current_database()) as commits, (select wal_sync from pg_stat_wal) as syncs',
  );
  const row = r?.rows[0] as { commits: string; syncs: string };
  return { commits: Number(row.commits), syncs: Number(row.syncs) };
}

console.log(`batches of ${BATCH}, ${BATCHES} a run; load average ${la()}`);
const rows: string[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? MODES : [...MODES].reverse();
  for (const mode of order) {
    // Backends report their counts when idle for a while or when they end: read before this mode's
    // connections open and after they closed, over all of its batches (the warm-up's too).
    const n0 = await counts();
    const url = withAppName(TEST_PG_URL, APP);
    const database = await openDatabase({ databaseUrl: url, pgSchema: core.testDb.pgSchema });
    const writer = new LedgerWriter(database, { ledgerKey: testLedgerKey });
    const events = new BalanceEvents(database);
    if (mode !== 'writer-unheard') await events.start(url, `-c search_path=${core.testDb.pgSchema}`);
    writer.onCommit((changes) => events.publish(changes));
    if (mode === 'writer' || mode === 'writer-unheard') writer.announceWith(events.announcer);
    if (mode === 'pool') announceThroughPool(writer, database.pgPool, 'prof');
    const m = await countedBatches(writer, user.id, APP, BATCH, BATCHES);
    const all = writer.stats.batches;
    await writer.close();
    await events.close();
    await database.close();
    const n1 = await counts();
    const row =
      `| ${r + 1} | ${mode} | ${m.pgUs} | ${m.processUs} | ` +
      `${((n1.commits - n0.commits) / all).toFixed(2)} | ${((n1.syncs - n0.syncs) / all).toFixed(2)} | ${(m.ms / m.batches).toFixed(2)} | ${m.batches} |`;
    rows.push(row);
    console.log(`${row} load ${la()}`);
  }
}
console.log(`load average after: ${la()}`);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log('medians over the rounds:');
for (const mode of MODES) {
  const mine = rows.filter((r) => r.split('|')[2]?.trim() === mode).map((r) => r.split('|').map((c) => Number(c.trim())));
  console.log(
    `| ${mode} | ${med(mine.map((c) => c[3] as number))} | ${med(mine.map((c) => c[4] as number))} | ${med(mine.map((c) => c[5] as number)).toFixed(2)} | ${med(mine.map((c) => c[7] as number)).toFixed(2)} |`,
  );
}
console.log(
  '| round | announced | Postgres CPU µs/debit | writer process CPU µs/debit | commits/batch | WAL syncs/batch (cluster) | ms/batch | batches |',
);
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
await core.dispose();
