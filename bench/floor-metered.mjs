/**
 * The floor of goals 2, 3 and 4 (issue 21): the least a durable metered charge can cost on this
 * machine, to put the service's figures beside. A bare Fastify process (no plugins, no hooks, no
 * logger) whose `POST /api/messages` parses the JSON body, queues one debit, and answers once
 * the debit is committed and on disk, through a group commit like the ledger writer's (one
 * batch in flight, up to 500 debits, the next one started when the previous one is synced).
 *
 * What a debit writes:
 *
 * - By default (`FLOOR_ROWS=contract`), the rows the service writes for a metered message, in
 *   the service's own schema (its migrations): the ledger row, the grant's movement and the
 *   usage row a debit, the balance, the grant and the hour's rollup a batch. bench/floor-rows.mjs.
 * - `FLOOR_ROWS=minimal`: a table of its own with one balance, and one ledger row a debit:
 *   - SQLite: per debit one `UPDATE ... RETURNING` of the balance and one ledger row;
 *   - PostgreSQL: a batch as one round trip (BEGIN; the balance's UPDATE for the whole batch;
 *     one multi-row INSERT of its ledger rows; COMMIT); with FLOOR_PG_ROUND_TRIPS=2, two round
 *     trips as the service's writer makes (the account's row locked and read, then the write
 *     and COMMIT).
 *
 * Modes of the contract's rows on SQLite, a model of where the writer's work could run (bench/analysis.md,
 * "The writer on a thread of its own, modelled with the floor"): `FLOOR_WORKER=1` runs the store on a
 * worker thread (bench/floor-store-worker.mjs); `FLOOR_OVERLAP=1` writes the next batch while the one
 * before syncs; `FLOOR_BURN_US=N` spends N µs of the event loop's CPU on each metered request first.
 *
 * Both open SQLite with the service's own `openDatabase` (dist/db/open.js): the same PRAGMAs,
 * `synchronous=FULL` with the WAL's fdatasync in libuv's pool (`sqliteWalSync`) and the
 * checkpoint worker; PostgreSQL (DATABASE_URL, BENCH_PG_SCHEMA) on one connection of the
 * service's own pool, under the server's `synchronous_commit` (on). Both take their ids from the
 * service's `newId` (UUID version 7), so keys append to their indexes as the service's do.
 *
 * None of the service's own work is here: no authentication, validation, pricing,
 * idempotency, hashing, events, metrics, request ids, security headers or request log.
 * What it costs is Fastify, Node's HTTP stack, the kernel, the load generator and the
 * database's work. `GET /bench/floor-stats[?reset=1]` gives its batches' time from BEGIN to
 * durable (p50, p99, max). Enough of the service's API is answered for bench/http.ts's
 * `fundedUser` and the writer's counts on /metrics, so bench/tail-attrib.ts (`--b-server`)
 * and bench/ab-metered.ts run it as they run a build of the service. Prints one JSON line
 * {url, readyMs} on stderr when ready, serves until SIGTERM.
 */
import { join } from 'node:path';
import Fastify from 'fastify';
import { connectFloorPostgres, openFloorSqlite, postgresContractStore, sqliteBatch, sqliteContractStore } from './floor-rows.mjs';

const started = performance.now();
const MAX_BATCH = 500;
const COST = 1000;
const FLOOR_DB = join(process.env.DATA_DIR ?? '.', 'floor.db');
/** @type {typeof import('../src/db/open.js')} */
const { isPostgresUrl, openDatabase } = await import(new URL('../dist/db/open.js', import.meta.url).href);
// The service's ids (UUID version 7, time-ordered): a ledger row's key goes at the end of its
// index, as the service's do. Random ids (randomUUID) put a batch's rows on as many of the
// index's pages: this floor did 0.5-0.65x on SQLite with them (bench/analysis.md, "The floor
// with the contract's rows").
/** @type {typeof import('../src/core/ids.js')} */
const { newId } = await import(new URL('../dist/core/ids.js', import.meta.url).href);

/** @returns {Promise<{ fund(amount: number): Promise<void>; apply(n: number): Promise<{ id: string; balance: number }[]>; close(): Promise<void> }>} */
async function sqliteStore() {
  const { database, sqlite, commit } = await openFloorSqlite(openDatabase, FLOOR_DB);
  sqlite.prepare('create table if not exists accounts (id integer primary key, balance integer not null)').run();
  sqlite
    .prepare(
      'create table if not exists ledger (id text primary key, account integer not null, amount integer not null, balance_after integer not null, created_at text not null)',
    )
    .run();
  sqlite.prepare('insert or ignore into accounts (id, balance) values (1, 0)').run();
  const debit = sqlite.prepare('update accounts set balance = balance - ? where id = 1 and balance >= ? returning balance');
  const row = sqlite.prepare('insert into ledger (id, account, amount, balance_after, created_at) values (?, 1, ?, ?, ?)');
  const rollback = sqlite.prepare('rollback');
  return {
    async fund(amount) {
      sqlite.prepare('update accounts set balance = balance + ? where id = 1').run(amount);
    },
    async apply(n) {
      return sqliteBatch(commit, rollback, () => {
        const out = [];
        const at = new Date().toISOString();
        for (let i = 0; i < n; i++) {
          const r = debit.get(COST, COST);
          if (!r) throw new Error('insufficient credits');
          const id = newId();
          row.run(id, -COST, r.balance, at);
          out.push({ id, balance: r.balance });
        }
        return out;
      });
    },
    close: () => database.close(),
  };
}

async function postgresStore() {
  const twoRoundTrips = process.env.FLOOR_PG_ROUND_TRIPS === '2';
  const { client, close } = await connectFloorPostgres(openDatabase, process.env.DATABASE_URL, process.env.BENCH_PG_SCHEMA);
  await client.query(
    'create table if not exists accounts (id integer primary key, balance bigint not null); create table if not exists ledger (id uuid primary key, account integer not null, amount bigint not null, balance_after bigint not null, created_at timestamptz not null); insert into accounts (id, balance) values (1, 0) on conflict do nothing',
  );
  return {
    async fund(amount) {
      await client.query('update accounts set balance = balance + $1 where id = 1', [amount]);
    },
    async apply(n) {
      // One round trip (the simple protocol's several statements); every value is ours, a
      // number or a UUID, so the text is safe to build. FLOOR_PG_ROUND_TRIPS=2: the account's
      // row locked and read first, in a round trip of its own, as the service's writer does
      // (it decides each debit between the two), then the write with the commit.
      const ids = Array.from({ length: n }, () => newId());
      if (twoRoundTrips) await client.query('begin; select balance from accounts where id = 1 for update');
      const res = await client.query(
        `${twoRoundTrips ? '' : 'begin; '}update accounts set balance = balance - ${n * COST} where id = 1 and balance >= ${n * COST} returning balance; ` +
          `insert into ledger (id, account, amount, balance_after, created_at) select i.id::uuid, 1, -${COST}, b.balance + (${n} - i.k) * ${COST}, now() ` +
          `from unnest(array['${ids.join("','")}']) with ordinality as i(id, k), (select balance from accounts where id = 1) b; commit`,
      );
      const balance = Number(res[twoRoundTrips ? 0 : 1]?.rows[0]?.balance);
      if (!Number.isFinite(balance)) throw new Error('insufficient credits');
      return ids.map((id, k) => ({ id, balance: balance + (n - 1 - k) * COST }));
    },
    close,
  };
}

/** The service's rows in its schema (bench/floor-rows.mjs). */
async function contractStore() {
  const { migrateToLatest } = await import(new URL('../dist/db/migrate.js', import.meta.url).href);
  const service = { openDatabase, migrateToLatest, newId };
  return isPostgresUrl(process.env.DATABASE_URL)
    ? postgresContractStore(service, process.env.DATABASE_URL, process.env.BENCH_PG_SCHEMA)
    : sqliteContractStore(service, FLOOR_DB);
}

/**
 * FLOOR_WORKER=1 (SQLite, the contract's rows): the store on a worker thread of its own
 * (bench/floor-store-worker.mjs), a batch handed over and its debits handed back as messages.
 */
async function workerStore() {
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(new URL('./floor-store-worker.mjs', import.meta.url), { workerData: { path: FLOOR_DB } });
  /** @type {Map<number, { resolve(v: any): void; reject(e: unknown): void }>} */
  const waiting = new Map();
  /** @type {Map<number, { resolve(v: any): void; reject(e: unknown): void }>} the syncs of started batches */
  const syncing = new Map();
  let next = 0;
  const ready = new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (msg) => {
      if (msg.ready) return resolve(undefined);
      if (msg.synced !== undefined) {
        const s = syncing.get(msg.id);
        syncing.delete(msg.id);
        return msg.synced === true ? s?.resolve(undefined) : s?.reject(new Error(msg.synced));
      }
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error !== undefined) w?.reject(new Error(msg.error));
      else w?.resolve(msg.out);
    });
  });
  await ready;
  const ask = (msg, id = next++) =>
    new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id });
    });
  return {
    fund: (amount) => ask({ op: 'fund', amount }),
    apply: (n) => ask({ op: 'apply', n }),
    start: async (n) => {
      const id = next++;
      const synced = new Promise((resolve, reject) => syncing.set(id, { resolve, reject }));
      synced.catch(() => {});
      return { out: await ask({ op: 'start', n }, id), synced };
    },
    close: async () => {
      await ask({ op: 'close' });
      await worker.terminate();
    },
  };
}

const rowsOf = process.env.FLOOR_ROWS ?? 'contract';
if (rowsOf !== 'contract' && rowsOf !== 'minimal') throw new Error(`floor-metered: FLOOR_ROWS is contract or minimal, not ${rowsOf}`);
const onWorker = process.env.FLOOR_WORKER === '1';
// FLOOR_OVERLAP, below: both modes are of the contract's rows on SQLite.
const overlap = process.env.FLOOR_OVERLAP === '1';
if ((onWorker || overlap) && (rowsOf !== 'contract' || isPostgresUrl(process.env.DATABASE_URL))) {
  throw new Error('floor-metered: FLOOR_WORKER=1 and FLOOR_OVERLAP=1 are for SQLite with the contract rows');
}
const store = onWorker
  ? await workerStore()
  : rowsOf === 'contract'
    ? await contractStore()
    : isPostgresUrl(process.env.DATABASE_URL)
      ? await postgresStore()
      : await sqliteStore();

/**
 * FLOOR_BURN_US=N: each metered request first spends N µs of the answering thread's CPU, a
 * stand-in for the service's own work a request (authentication, validation, pricing, the
 * answer, the metrics and the request line) in a model of where the writer's work should run.
 */
const BURN_US = Number(process.env.FLOOR_BURN_US ?? 0);
// A fixed amount of work (a xorshift's steps), calibrated before listening to take BURN_US on
// this thread: a wall-clock or process-CPU deadline would count the worker's time or a preemption.
let sink = 1;
const spin = (steps) => {
  let x = sink | 1;
  for (let i = 0; i < steps; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  sink = x;
};
let burnSteps = 0;
if (BURN_US > 0) {
  spin(1e6);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    spin(1e6);
    best = Math.min(best, performance.now() - t0);
  }
  burnSteps = Math.round((1e6 * BURN_US) / (best * 1000));
}
const burn = () => {
  if (burnSteps > 0) spin(burnSteps);
};

// The group commit: debits queue; one batch in flight; the next one starts once it is synced
// (FLOOR_OVERLAP: once it is committed).
/** @type {{ resolve(v: { id: string; balance: number }): void; reject(e: unknown): void }[]} */
const queue = [];
let running = false;
let batches = 0;
let ops = 0;
/** Each batch's time from BEGIN to durable (ms), since the last `GET /bench/floor-stats?reset=1`. */
let batchMs = [];
/**
 * FLOOR_OVERLAP=1 (SQLite, the contract's rows): the next batch is written while the one before
 * it syncs (at most OVERLAP_SYNCS syncs in flight); a batch is answered once its own sync and
 * every earlier batch's answer are done. A WAL is replayed up to its first missing frame, so
 * what survives a crash is a prefix of the commits, and no answered batch depends on a lost one.
 */
const OVERLAP_SYNCS = 2;
/** @type {Promise<void>[]} the answers of batches committed and not yet synced, oldest first */
let unsynced = [];
async function loop() {
  while (queue.length > 0) {
    const batch = queue.splice(0, MAX_BATCH);
    batches++;
    ops += batch.length;
    try {
      const t0 = performance.now();
      if (!overlap) {
        const out = await store.apply(batch.length);
        batchMs.push(performance.now() - t0);
        for (let i = 0; i < batch.length; i++) batch[i]?.resolve(/** @type {any} */ (out[i]));
        continue;
      }
      while (unsynced.length >= OVERLAP_SYNCS) await unsynced[0];
      const { out, synced } = await store.start(batch.length);
      const before = unsynced[unsynced.length - 1];
      const answered = (async () => {
        try {
          await synced;
          await before;
          batchMs.push(performance.now() - t0);
          for (let i = 0; i < batch.length; i++) batch[i]?.resolve(/** @type {any} */ (out[i]));
        } catch (e) {
          for (const b of batch) b.reject(e);
        } finally {
          unsynced = unsynced.filter((p) => p !== answered);
        }
      })();
      unsynced.push(answered);
    } catch (e) {
      for (const b of batch) b.reject(e);
    }
  }
  running = false;
}
const queueDebit = () =>
  new Promise((resolve, reject) => {
    queue.push({ resolve, reject });
    if (!running) {
      running = true;
      setImmediate(() => void loop());
    }
  });

const app = Fastify();
app.post('/api/messages', async () => {
  burn();
  const { id, balance } = /** @type {{ id: string; balance: number }} */ (await queueDebit());
  return { id, status: 'sent', balance };
});
// What bench/http.ts's fundedUser calls: one account, funded by the "adjustment".
app.post('/api/auth/register', async () => ({ token: 'floor', user: { id: '1' } }));
app.post('/api/auth/login', async () => ({ token: 'floor-admin' }));
app.post('/api/admin/users/:id/adjustments', async (req) => {
  await store.fund(Number(/** @type {{ amount?: number }} */ (req.body).amount ?? 0) * 1000);
  return { ok: true };
});
// The writer's counts as the service's histogram names them (tail-attrib's and ab-metered's batch figures).
app.get('/metrics', async (_req, reply) => {
  reply.type('text/plain');
  return `ledger_writer_batch_size_count ${batches}\nledger_writer_batch_size_sum ${ops}\n`;
});
// A batch's time from BEGIN until it is durable (SQLite: the statements, COMMIT and the WAL's
// fdatasync; PostgreSQL: the round trips, the last with its commit): percentiles, then start again.
app.get('/bench/floor-stats', async (req) => {
  const sorted = [...batchMs].sort((a, b) => a - b);
  const at = (p) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 100) / 100;
  const out = { batches: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
  if (/** @type {{ reset?: string }} */ (req.query).reset === '1') batchMs = [];
  return out;
});
// The monotonic clock in µs, as bench/server.mjs gives it: bench/profile.ts cuts a CPU profile to the load window with it.
app.get('/bench/now', async () => ({ us: Number(process.hrtime.bigint() / 1000n) }));
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stderr.write(`${JSON.stringify({ url, readyMs: Math.round(performance.now() - started) })}\n`);
const stop = async () => {
  await app.close();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
