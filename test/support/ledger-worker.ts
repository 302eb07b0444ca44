/**
 * A separate OS process applying ledger operations through its own writer, for the race
 * and crash tests. Reads its job from env; prints one JSON line per acknowledged
 * operation ({"ack": key}) and a summary line at the end.
 *
 *   WORKER_SQLITE=path | WORKER_PG_URL=url WORKER_PG_SCHEMA=schema
 *   WORKER_USER=id WORKER_COUNT=n WORKER_AMOUNT_MC=mc WORKER_CONCURRENCY=c WORKER_KEY_PREFIX=p
 */
import { createCore } from '../../src/core/index.js';
import { DomainError } from '../../src/core/errors.js';
import { openDatabase } from '../../src/db/open.js';

const env = process.env;
const database = await openDatabase(
  env.WORKER_PG_URL
    ? { databaseUrl: env.WORKER_PG_URL, pgSchema: env.WORKER_PG_SCHEMA, pgPoolSize: 4 }
    : { sqlitePath: env.WORKER_SQLITE as string, sqliteSynchronous: (env.WORKER_SYNC as 'FULL' | 'NORMAL') ?? 'FULL' },
);
const core = createCore(database);
const userId = env.WORKER_USER as string;
const count = Number(env.WORKER_COUNT ?? 500);
const amountMc = Number(env.WORKER_AMOUNT_MC ?? 1000);
const concurrency = Number(env.WORKER_CONCURRENCY ?? count);
const prefix = env.WORKER_KEY_PREFIX;
const start = Number(env.WORKER_START ?? 0);

let ok = 0;
let refused = 0;
let next = start;
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function lane() {
  while (next < start + count) {
    const i = next++;
    const key = prefix ? `${prefix}-${i}` : undefined;
    try {
      const r = await core.ledger.debit(userId, amountMc, 'usage', key ? { idem: { scope: userId, key, fingerprint: `debit:${amountMc}` } } : {});
      ok++;
      if (key) out({ ack: key, replayed: r.replayed });
    } catch (e) {
      if (e instanceof DomainError && e.code === 'insufficient_credits') refused++;
      else throw e;
    }
  }
}

await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
await core.writer.close();
await database.close();
out({ done: true, ok, refused });
