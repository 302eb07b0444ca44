/**
 * One side of the race test: a separate OS process with its own writer. It opens the
 * database, prints `{"ready":true}`, waits for a `go` line on stdin (so both sides start
 * together), then submits WORKER_COUNT debits at once and prints one summary line:
 * `{"ok":n,"refused":n,"failed":[...],"batches":n}`.
 *
 *   WORKER_SQLITE=path | WORKER_PG_URL=url WORKER_PG_SCHEMA=schema
 *   WORKER_USER=id WORKER_COUNT=n WORKER_AMOUNT_MC=mc WORKER_TAG=name [WORKER_MAX_BATCH=n]
 */
import { createInterface } from 'node:readline';
import { createCore } from '../../src/core/index.js';
import { DomainError } from '../../src/core/errors.js';
import { openDatabase } from '../../src/db/open.js';
import { testLedgerKey } from './db.js';
import { testUsage } from './factories.js';

const env = process.env;
const database = await openDatabase(
  env.WORKER_PG_URL
    ? { databaseUrl: env.WORKER_PG_URL, pgSchema: env.WORKER_PG_SCHEMA, pgPoolSize: 2 }
    : { sqlitePath: env.WORKER_SQLITE as string, sqliteSynchronous: 'FULL' },
);
const core = createCore(database, {
  ledgerKey: testLedgerKey,
  ...(env.WORKER_MAX_BATCH ? { maxBatch: Number(env.WORKER_MAX_BATCH) } : {}),
});
const userId = env.WORKER_USER as string;
const count = Number(env.WORKER_COUNT ?? 500);
const amountMc = Number(env.WORKER_AMOUNT_MC ?? 1000);
const tag = env.WORKER_TAG ?? String(process.pid);

// Connect (and load the schema) before the start line, so the start is the debits alone.
await core.ledger.balance(userId);
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.on('line', (l) => l.trim() === 'go' && resolve()));
lines.close();

const results = await Promise.allSettled(
  Array.from({ length: count }, () =>
    core.ledger.debit(userId, amountMc, 'usage', { description: `race ${tag}`, usage: testUsage(amountMc) }),
  ),
);
let ok = 0;
let refused = 0;
const failed: string[] = [];
for (const r of results) {
  if (r.status === 'fulfilled') ok++;
  else if (r.reason instanceof DomainError && r.reason.code === 'insufficient_credits') refused++;
  else failed.push(String(r.reason));
}
const batches = core.writer.stats.batches;
await core.writer.close();
await database.close();
process.stdout.write(`${JSON.stringify({ ok, refused, failed, batches })}\n`);
