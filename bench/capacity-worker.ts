/**
 * One writer process of the capacity section (bench/capacity.ts): a LedgerWriter of its own,
 * on its own pool, against the Postgres schema the parent set up, with no HTTP. It submits
 * the debits the metered route submits (`usage` debits of 100 mc with their usage row and
 * hourly rollup), on a random one of the schema's accounts each, CAPACITY_CONCURRENCY in
 * flight, for CAPACITY_SECONDS once the parent says go (so the processes of a run measure the
 * same window). Talks to the parent over IPC: 'ready' after its warm-up, its figures after the
 * run; the parent's first message starts the run, its second lets the process close.
 *
 * CAPACITY_ANNOUNCE (bench/prof-pg-notify-capacity.ts): `writer` announces each batch's balance
 * changes as an instance does (server/events.ts's listener, the writer's NOTIFY after each
 * commit, main.ts), `pool` as before 3 December 2026 (an autocommit NOTIFY on the ordinary
 * pool after each commit); unset, nothing is announced (the capacity section's figure).
 */
import { sql } from 'kysely';
import { LedgerKey } from '../src/core/ledger/hash.js';
import { LedgerWriter } from '../src/core/ledger/writer.js';
import { openDatabase } from '../src/db/open.js';
import { BalanceEvents } from '../src/server/events.js';
import { announceThroughPool, meteredDebit } from './metered-debit.js';

export interface WorkerResult {
  debits: number;
  refused: number;
  seconds: number;
  /** This process's CPU (user + system) over the measured window, microseconds. */
  cpuUs: number;
  batches: number;
}

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`capacity worker: ${name} is not set`);
  return v;
};
const send = (m: unknown) => new Promise<void>((resolve, reject) => process.send?.(m, undefined, {}, (e) => (e ? reject(e) : resolve())));

const seconds = Number(env('CAPACITY_SECONDS'));
const concurrency = Number(env('CAPACITY_CONCURRENCY'));
const database = await openDatabase({
  databaseUrl: env('CAPACITY_DATABASE_URL'),
  pgSchema: env('CAPACITY_SCHEMA'),
  pgPoolSize: Number(process.env.CAPACITY_POOL ?? 10),
});
const users = (await sql<{ user_id: string }>`select user_id from user_credits`.execute(database.db)).rows.map((r) => r.user_id);
if (users.length === 0) throw new Error('capacity worker: no accounts in the schema');
const writer = new LedgerWriter(database, { ledgerKey: new LedgerKey(env('CAPACITY_LEDGER_KEY')) });
const announce = process.env.CAPACITY_ANNOUNCE;
const events = announce ? new BalanceEvents(database) : undefined;
if (events) {
  await events.start(env('CAPACITY_DATABASE_URL'), `-c search_path=${env('CAPACITY_SCHEMA')}`);
  writer.onCommit((changes) => events.publish(changes));
  if (announce === 'writer') writer.announceWith(events.announcer);
  else if (announce === 'pool') announceThroughPool(writer, database.pgPool, 'capacity');
  else throw new Error(`capacity worker: CAPACITY_ANNOUNCE is writer or pool, not ${announce}`);
}
const debit = () => meteredDebit(writer, users[Math.floor(Math.random() * users.length)] as string);

/** CONCURRENCY lanes, each keeping one debit in flight until `end`. */
async function drive(ms: number) {
  const end = performance.now() + ms;
  let debits = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        try {
          await debit();
          debits++;
        } catch {
          // A refusal (the accounts are funded far beyond the run, so this is not expected).
          refused++;
        }
      }
    }),
  );
  return { debits, refused };
}

// Warm-up: JIT, the pool's connections, the accounts' pages in Postgres's buffers.
await drive(1000);
await send('ready');
await new Promise<void>((resolve) => process.once('message', () => resolve()));
const cpu0 = process.cpuUsage();
const started = performance.now();
const batches0 = writer.stats.batches;
const { debits, refused } = await drive(seconds * 1000);
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
const result: WorkerResult = {
  debits,
  refused,
  seconds: elapsed,
  cpuUs: cpu.user + cpu.system,
  batches: writer.stats.batches - batches0,
};
await send(result);
// The parent reads this process's Postgres backends' CPU before they close.
await new Promise<void>((resolve) => process.once('message', () => resolve()));
await writer.close();
await events?.close();
await database.close();
process.disconnect();
