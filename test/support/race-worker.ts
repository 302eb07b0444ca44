/**
 * One side of the race test: a separate OS process with its own writer. It opens the
 * database, prints `{"ready":true}`, waits for a `go` line on stdin (so both sides start
 * together), then submits WORKER_COUNT debits at once and prints one summary line:
 * `{"ok":n,"refused":n,"failed":[...],"batches":n}`.
 *
 *   WORKER_SQLITE=path | WORKER_PG_URL=url WORKER_PG_SCHEMA=schema
 *   WORKER_USER=id WORKER_COUNT=n WORKER_AMOUNT_MC=mc WORKER_TAG=name [WORKER_MAX_BATCH=n]
 *   [WORKER_MEMBERS=id,id: the debits are those organisation members' in turn; the summary
 *   then counts the refusals of their limits, `limited`]
 *   [WORKER_SWEEP=1: the grants' sweeper runs in a loop beside the debits, until they are done;
 *   the summary then counts the grants it expired, `expired`; WORKER_WAVE=n WORKER_WAVE_MS=ms:
 *   the debits n at a time, every ms milliseconds]
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
// Organisation members the debits are spread over, in turn (their limits are the writer's).
const members = env.WORKER_MEMBERS ? env.WORKER_MEMBERS.split(',') : [];

// Connect (and load the schema) before the start line, so the start is the debits alone.
await core.ledger.balance(userId);
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.on('line', (l) => l.trim() === 'go' && resolve()));
lines.close();

let debitsDone = false;
let expired = 0;
const sweeper = (async () => {
  if (!env.WORKER_SWEEP) return;
  while (!debitsDone) {
    expired += await core.ledger.expireGrants();
    // Paced, so the sweeper's queries do not crowd out the debits.
    await new Promise((r) => setTimeout(r, 2));
  }
})();
// All at once, or (WORKER_WAVE=n) n at a time every WORKER_WAVE_MS, spreading the debits over a while.
const wave = Number(env.WORKER_WAVE ?? count);
const pending: Promise<PromiseSettledResult<unknown>>[] = [];
for (let i = 0; i < count; i += wave) {
  for (let j = i; j < Math.min(count, i + wave); j++) {
    pending.push(
      core.ledger
        .debit(userId, amountMc, 'usage', {
          description: `race ${tag}`,
          usage: testUsage(amountMc),
          memberId: members.length > 0 ? members[j % members.length] : undefined,
        })
        .then(
          (value) => ({ status: 'fulfilled' as const, value }),
          (reason: unknown) => ({ status: 'rejected' as const, reason }),
        ),
    );
  }
  if (i + wave < count) await new Promise((r) => setTimeout(r, Number(env.WORKER_WAVE_MS ?? 0)));
}
const results = await Promise.all(pending);
debitsDone = true;
await sweeper;
let ok = 0;
let refused = 0;
let limited = 0;
const failed: string[] = [];
for (const r of results) {
  if (r.status === 'fulfilled') ok++;
  else if (r.reason instanceof DomainError && r.reason.code === 'insufficient_credits') refused++;
  else if (r.reason instanceof DomainError && r.reason.code === 'member_limit_exceeded') limited++;
  else failed.push(String(r.reason));
}
const batches = core.writer.stats.batches;
await core.writer.close();
await database.close();
process.stdout.write(`${JSON.stringify({ ok, refused, limited, failed, batches, expired })}\n`);
