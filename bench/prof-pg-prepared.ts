/**
 * What the pipelined writer's prepared statements save PostgreSQL (PG_PREPARED_WRITES, issue 21
 * goal 3): the ledger writer alone (no HTTP) commits batches of the metered route's debit (a
 * `usage` debit of 100 mc with its usage row and hourly rollup) on one account, BATCH debits
 * submitted at once so every batch has that size, with the statements prepared and not,
 * alternated on the same schema. Per debit: Postgres's backends' CPU (from /proc, found by
 * application_name) and this process's. CPU per debit does not depend on how busy the machine
 * is as much as a rate does, and the batch size is fixed, so rounds compare.
 *
 *   npx tsx bench/prof-pg-prepared.ts [BATCH=32] [BATCHES=300] [ROUNDS=4]
 */
import { readFileSync } from 'node:fs';
import { LedgerWriter } from '../src/core/ledger/writer.js';
import { openDatabase } from '../src/db/open.js';
import { createTestCore, TEST_PG_URL, testLedgerKey } from '../test/support/db.js';
import { makeUser } from '../test/support/factories.js';
import { withAppName } from './common.js';
import { countedBatches } from './metered-debit.js';

const BATCH = Number(process.argv[2] ?? 32);
const BATCHES = Number(process.argv[3] ?? 300);
const ROUNDS = Number(process.argv[4] ?? 4);
const APP = `prof-pg-prepared-${process.pid}`;

const core = await createTestCore('postgres');
const user = await makeUser(core, { credits: 100_000_000 });
const la = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' / ');
console.log(`batches of ${BATCH}, ${BATCHES} a run; load average ${la()}`);
const rows: string[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const prepared of r % 2 === 0 ? [true, false] : [false, true]) {
    const database = await openDatabase({
      databaseUrl: withAppName(TEST_PG_URL, APP),
      pgSchema: core.testDb.pgSchema,
      pgPreparedWrites: prepared,
    });
    const writer = new LedgerWriter(database, { ledgerKey: testLedgerKey });
    const m = await countedBatches(writer, user.id, APP, BATCH, BATCHES);
    const row = `| ${r + 1} | ${prepared ? 'prepared' : 'unnamed'} | ${m.pgUs} | ${m.processUs} | ${m.batches} |`;
    rows.push(row);
    console.log(row);
    await writer.close();
    await database.close();
  }
}
console.log(`load average after: ${la()}`);
console.log('| round | statements | Postgres CPU µs/debit | writer process CPU µs/debit | batches |');
console.log('|---|---|---:|---:|---:|');
for (const row of rows) console.log(row);
await core.dispose();
