/**
 * The process the crash test kills: it applies WORKER_KEYS idempotent debits (keys
 * `<prefix>-0` .. `<prefix>-(n-1)`, always all of them, so a restart retries every key)
 * through its writer, WORKER_CONCURRENCY at a time, and prints `ack <key>` once each is
 * committed, then `done`. stdout is a pipe, which Node writes synchronously on Linux: a
 * printed ack is an acknowledged operation, exactly as an HTTP 200 would be.
 *
 *   WORKER_SQLITE=path [WORKER_SYNC=FULL|NORMAL] | WORKER_PG_URL=url WORKER_PG_SCHEMA=schema
 *   WORKER_USER=id WORKER_KEYS=n WORKER_AMOUNT_MC=mc WORKER_CONCURRENCY=c WORKER_KEY_PREFIX=p
 */
import { createCore } from '../../src/core/index.js';
import { openDatabase } from '../../src/db/open.js';
import { testLedgerKey } from './db.js';
import { testUsage } from './factories.js';

const env = process.env;
const database = await openDatabase(
  env.WORKER_PG_URL
    ? { databaseUrl: env.WORKER_PG_URL, pgSchema: env.WORKER_PG_SCHEMA, pgPoolSize: 2 }
    : { sqlitePath: env.WORKER_SQLITE as string, sqliteSynchronous: (env.WORKER_SYNC as 'FULL' | 'NORMAL' | undefined) ?? 'FULL' },
);
const core = createCore(database, { ledgerKey: testLedgerKey });
const userId = env.WORKER_USER as string;
const keys = Number(env.WORKER_KEYS ?? 1000);
const amountMc = Number(env.WORKER_AMOUNT_MC ?? 1);
const concurrency = Number(env.WORKER_CONCURRENCY ?? 64);
const prefix = env.WORKER_KEY_PREFIX ?? 'op';

let next = 0;
async function lane() {
  while (next < keys) {
    const key = `${prefix}-${next++}`;
    // Any error (a refusal, a conflict) fails the process: the test expects none.
    await core.ledger.debit(userId, amountMc, 'usage', {
      usage: testUsage(amountMc),
      idem: { scope: userId, key, fingerprint: `debit:${amountMc}` },
    });
    process.stdout.write(`ack ${key}\n`);
  }
}

await Promise.all(Array.from({ length: Math.min(concurrency, keys) }, lane));
await core.writer.close();
await database.close();
process.stdout.write('done\n');
