/**
 * The floor's rows (issue 21): bench/floor-metered.mjs by default (`FLOOR_ROWS=contract`). Each debit writes the rows a metered message writes in
 * the service, in the service's own schema (its migrations, dist/db/migrate.js): so the same
 * tables, columns, indexes, foreign keys and generated column. Per debit: the ledger row
 * (credit_transactions, 17 columns), the grant's movement (grant_movements) and the usage row
 * (usage_tracking); per batch: the account's balance row (user_credits), the grant's
 * remaining credits (grants) and the hour's rollup (usage_rollups, an upsert). The values are
 * those of a real metered message (bench/analysis.md, "The floor with the contract's rows").
 *
 * What it leaves out is the service's own code: no authentication, validation, pricing,
 * idempotency, hashing (a row's hash is 64 hex characters made from its id, not a SHA-256 of
 * the row), events, metrics or request log. So its figures are what the contract's rows cost
 * each database behind Fastify, with nothing of ours in the server: its PostgreSQL capacity
 * against its SQLite capacity is goal 3's floor, its SQLite capacity against bare Fastify's
 * goal 2's.
 *
 * A batch reads the account's balance and sequence, decides each debit (a debit the balance
 * cannot pay fails its batch), then writes. SQLite: one connection as the service opens it,
 * BEGIN IMMEDIATE, a table's rows in statements of up to 32 rows as the service's writer
 * inserts them, COMMIT, then the WAL's sync. PostgreSQL: two
 * round trips as the service's writer makes (BEGIN with the row locked and read; then the
 * writes and COMMIT), the rows of a table in one statement (`unnest` of array literals), as
 * simple-protocol text: every value is a number, a UUID or a constant of this file.
 */
const COST = 100;
const ACCOUNT = '01a246db-9b85-7000-ae30-ee4f347afb50';
const GRANT = '01a246db-9bff-7001-8f27-2d7ede08fbd3';
const DESCRIPTION = 'Message (per message)';
const LEDGER_METADATA = '{"operation":"message","unit":"per_message","quantity":1,"to":"+15551234567","length":24}';
const USAGE_METADATA = '{"to":"+15551234567","length":24}';
const RULE = 'rule_message_per_message_v1';
const HOUR = 3_600_000;
/** A row's hash: 64 hex characters from its id (the service's is a SHA-256 of the row). */
const hashOf = (id) => {
  const hex = id.replaceAll('-', '');
  return hex + hex;
};

/** The account, its balance row and one open grant, as the service has them after a sign-up and an adjustment. */
const SETUP = [
  `insert into accounts (id, kind, name, external_id, created_at, updated_at) values ('${ACCOUNT}', 'personal', 'Bench', null, 0, 0)`,
  `insert into user_credits (user_id, balance_mc, reserved_mc, lifetime_purchased_mc, lifetime_used_mc, seq, last_hash, updated_at) values ('${ACCOUNT}', 0, 0, 0, 0, 0, '${'0'.repeat(64)}', 0)`,
  `insert into grants (id, user_id, source, credits_mc, remaining_mc, reserved_mc, expired_mc, value_cents, payment_id, transaction_id, expires_at, expired_at, created_at) values ('${GRANT}', '${ACCOUNT}', 'adjustment', 0, 0, 0, 0, 0, null, null, null, null, 0)`,
];
const FUND = (amount) => [
  `update user_credits set balance_mc = balance_mc + ${amount} where user_id = '${ACCOUNT}'`,
  `update grants set credits_mc = credits_mc + ${amount}, remaining_mc = remaining_mc + ${amount} where id = '${GRANT}'`,
];

/**
 * What the floor takes from the service's build (dist/): its migrations, its way of opening a
 * database, and its ids (UUID version 7, time-ordered, so the primary keys' indexes append as
 * the service's do; random ids would scatter each batch over the indexes' pages).
 * @typedef {{ openDatabase: (o: object) => Promise<any>; migrateToLatest: (db: any) => Promise<unknown>; newId: () => string }} Service
 */

/**
 * Each of `n` debits decided against `balance` and `seq`: ids, balances after, sequences and
 * hashes (the chain from `lastHash`).
 * @param {Service['newId']} newId @param {number} n @param {number} balance @param {number} seq @param {string} lastHash
 */
function decide(newId, n, balance, seq, lastHash) {
  if (balance < n * COST) throw new Error('insufficient credits');
  const rows = [];
  let prev = lastHash;
  for (let k = 0; k < n; k++) {
    const id = newId();
    const hash = hashOf(id);
    rows.push({ id, usageId: newId(), seq: seq + k + 1, balance: balance - (k + 1) * COST, prev, hash });
    prev = hash;
  }
  return rows;
}

/**
 * An insert of `rows` rows whose values lie in order in `values`, in statements of a power of
 * two rows (at most 32, largest first), as the service's SQLite writer inserts its rows
 * (src/core/ledger/write-sqlite.ts, insertChunks): `head` is `insert into t (columns) values `,
 * `tuple` one row's `(?, ...)`.
 * @param {any} sqlite @param {string} head @param {string} tuple
 */
function chunked(sqlite, head, tuple) {
  const width = tuple.split('?').length - 1;
  /** @type {any[]} */
  const byRows = [];
  return (/** @type {unknown[]} */ values, /** @type {number} */ rows) => {
    let i = 0;
    while (i < rows) {
      let n = 32;
      while (n > rows - i) n >>= 1;
      byRows[n] ??= sqlite.prepare(head + new Array(n).fill(tuple).join(', '));
      byRows[n].run(...values.slice(i * width, (i + n) * width));
      i += n;
    }
  };
}

/**
 * One batch on SQLite as both floors make it: BEGIN IMMEDIATE, `body`, COMMIT (ROLLBACK where
 * it throws), then the WAL's sync off the loop (the service's `sqliteCommit`, dist/db/open.js).
 * @template T @param {any} commit @param {{ run(): unknown }} rollback @param {() => T} body @returns {Promise<T>}
 */
export async function sqliteBatch(commit, rollback, body) {
  const { out, synced } = await sqliteBatchStarted(commit, rollback, body);
  await synced;
  return out;
}

/**
 * The same batch, answered once committed, with its WAL sync started and not awaited: `synced`
 * resolves once it (and every commit before it) is on disk. FLOOR_OVERLAP's batches: the next
 * one is written while this one's sync runs.
 * @template T @param {any} commit @param {{ run(): unknown }} rollback @param {() => T} body
 * @returns {Promise<{ out: T; synced: Promise<void> }>}
 */
export async function sqliteBatchStarted(commit, rollback, body) {
  await commit.begin();
  let out;
  try {
    out = body();
    commit.commit();
  } catch (e) {
    rollback.run();
    throw e;
  } finally {
    commit.end();
  }
  const synced = commit.sync();
  synced.catch(() => {});
  return { out, synced };
}

/**
 * The floor's SQLite database, opened by the service's `openDatabase` (its PRAGMAs, the WAL's
 * sync off the loop, the checkpoint worker): the raw handle and the commit path.
 * @param {Service['openDatabase']} openDatabase @param {string} path
 */
export async function openFloorSqlite(openDatabase, path) {
  const database = await openDatabase({ sqlitePath: path });
  const { sqlite, sqliteCommit: commit } = database;
  if (!sqlite || !commit) throw new Error('floor: SQLite on a file in WAL mode expected');
  return { database, sqlite, commit };
}

/**
 * The floor's PostgreSQL connection: the one client of the service's own pool (`openDatabase`,
 * the schema's search path included), without the writer's pipelined pool, taken once
 * `prepare` (the migrations) has run on the pool.
 * @param {Service['openDatabase']} openDatabase @param {string} url @param {string | undefined} schema
 * @param {(db: any) => Promise<unknown>} [prepare]
 */
export async function connectFloorPostgres(openDatabase, url, schema, prepare) {
  const database = await openDatabase({ databaseUrl: url, pgSchema: schema, pgPoolSize: 1, pgPipelinedWrites: false });
  await prepare?.(database.db);
  const client = await database.pgPool.connect();
  return {
    client,
    close: async () => {
      client.release();
      await database.close();
    },
  };
}

/** @param {Service} service @param {string} path */
export async function sqliteContractStore({ openDatabase, migrateToLatest, newId }, path) {
  const { database, sqlite, commit } = await openFloorSqlite(openDatabase, path);
  await migrateToLatest(database.db);
  for (const s of SETUP) sqlite.prepare(s).run();
  const read = sqlite.prepare('select balance_mc, seq, last_hash from user_credits where user_id = ?');
  const ledger = chunked(
    sqlite,
    'insert into credit_transactions (id, user_id, seq, type, amount_mc, reserved_change_mc, balance_after_mc, reserved_after_mc, description, metadata, reference_type, reference_id, idempotency_key, prev_hash, hash, created_at, member_id) values ',
    '(?, ?, ?, ?, ?, 0, ?, 0, ?, ?, null, null, null, ?, ?, ?, null)',
  );
  const movement = chunked(
    sqlite,
    'insert into grant_movements (transaction_id, grant_id, user_id, amount_mc, created_at) values ',
    '(?, ?, ?, ?, ?)',
  );
  const usage = chunked(
    sqlite,
    'insert into usage_tracking (id, user_id, operation, unit, quantity_milli, cost_mc, charged_mc, rule_id, rule_credits_mc, bypass, transaction_id, reservation_id, metadata, created_at, reverses_id, member_id) values ',
    '(?, ?, ?, ?, 1000, ?, ?, ?, ?, 0, ?, null, ?, ?, null, null)',
  );
  const account = sqlite.prepare(
    'update user_credits set balance_mc = ?, lifetime_used_mc = lifetime_used_mc + ?, seq = ?, last_hash = ?, updated_at = ? where user_id = ?',
  );
  const grant = sqlite.prepare('update grants set remaining_mc = remaining_mc - ? where id = ?');
  const rollup = sqlite.prepare(
    'insert into usage_rollups (user_id, bucket, operation, unit, credits_mc, operations, quantity_milli) values (?, ?, ?, ?, ?, ?, ?) on conflict (user_id, bucket, operation, unit) do update set credits_mc = credits_mc + excluded.credits_mc, operations = operations + excluded.operations, quantity_milli = quantity_milli + excluded.quantity_milli',
  );
  const rollback = sqlite.prepare('rollback');
  return {
    async fund(amount) {
      for (const s of FUND(amount)) sqlite.prepare(s).run();
    },
    async apply(n) {
      const { out, synced } = await start(n);
      await synced;
      return out;
    },
    start,
    close: () => database.close(),
  };
  /** The batch committed, its sync started (`synced`): FLOOR_OVERLAP. @param {number} n */
  async function start(n) {
    const { out: rows, synced } = await sqliteBatchStarted(commit, rollback, () => {
      const now = Date.now();
      const a = read.get(ACCOUNT);
      const decided = decide(newId, n, a.balance_mc, a.seq, a.last_hash);
      const [l, m, u] = [[], [], []];
      for (const r of decided) {
        l.push(r.id, ACCOUNT, r.seq, 'usage', -COST, r.balance, DESCRIPTION, LEDGER_METADATA, r.prev, r.hash, now);
        m.push(r.id, GRANT, ACCOUNT, -COST, now);
        u.push(r.usageId, ACCOUNT, 'message', 'per_message', COST, COST, RULE, COST, r.id, USAGE_METADATA, now);
      }
      ledger(l, n);
      movement(m, n);
      usage(u, n);
      const last = decided[decided.length - 1];
      account.run(last.balance, n * COST, last.seq, last.hash, now, ACCOUNT);
      grant.run(n * COST, GRANT);
      rollup.run(ACCOUNT, now - (now % HOUR), 'message', 'per_message', n * COST, n, n * 1000);
      return decided;
    });
    return { out: rows.map((r) => ({ id: r.usageId, balance: r.balance })), synced };
  }
}

/** @param {Service} service @param {string} url @param {string | undefined} schema */
export async function postgresContractStore({ openDatabase, migrateToLatest, newId }, url, schema) {
  const { client, close } = await connectFloorPostgres(openDatabase, url, schema, migrateToLatest);
  await client.query(SETUP.join('; '));
  /** An array literal of `values` (numbers, UUIDs and hex: nothing to quote). */
  const array = (values) => `'{${values.join(',')}}'`;
  return {
    async fund(amount) {
      await client.query(FUND(amount).join('; '));
    },
    async apply(n) {
      const [, read] = await client.query(
        `begin; select balance_mc, seq, last_hash from user_credits where user_id = '${ACCOUNT}' for update`,
      );
      const a = read.rows[0];
      let rows;
      try {
        rows = decide(newId, n, Number(a.balance_mc), Number(a.seq), a.last_hash);
      } catch (e) {
        await client.query('rollback');
        throw e;
      }
      const now = Date.now();
      const last = rows[rows.length - 1];
      const ids = array(rows.map((r) => r.id));
      try {
        await client.query(
          `insert into credit_transactions (id, user_id, seq, type, amount_mc, reserved_change_mc, balance_after_mc, reserved_after_mc, description, metadata, reference_type, reference_id, idempotency_key, prev_hash, hash, created_at, member_id)
           select t.id, '${ACCOUNT}', t.seq, 'usage', -${COST}, 0, t.balance, 0, '${DESCRIPTION}', '${LEDGER_METADATA}', null, null, null, t.prev, t.hash, ${now}, null
           from unnest(${ids}::text[], ${array(rows.map((r) => r.seq))}::bigint[], ${array(rows.map((r) => r.balance))}::bigint[], ${array(rows.map((r) => r.prev))}::text[], ${array(rows.map((r) => r.hash))}::text[]) as t(id, seq, balance, prev, hash);
         insert into grant_movements (transaction_id, grant_id, user_id, amount_mc, created_at)
           select t.id, '${GRANT}', '${ACCOUNT}', -${COST}, ${now} from unnest(${ids}::text[]) as t(id);
         insert into usage_tracking (id, user_id, operation, unit, quantity_milli, cost_mc, charged_mc, rule_id, rule_credits_mc, bypass, transaction_id, reservation_id, metadata, created_at, reverses_id, member_id)
           select t.uid, '${ACCOUNT}', 'message', 'per_message', 1000, ${COST}, ${COST}, '${RULE}', ${COST}, 0, t.id, null, '${USAGE_METADATA}', ${now}, null, null
           from unnest(${array(rows.map((r) => r.usageId))}::text[], ${ids}::text[]) as t(uid, id);
         update user_credits set balance_mc = ${last.balance}, lifetime_used_mc = lifetime_used_mc + ${n * COST}, seq = ${last.seq}, last_hash = '${last.hash}', updated_at = ${now} where user_id = '${ACCOUNT}';
         update grants set remaining_mc = remaining_mc - ${n * COST} where id = '${GRANT}';
         insert into usage_rollups as x (user_id, bucket, operation, unit, credits_mc, operations, quantity_milli) values ('${ACCOUNT}', ${now - (now % HOUR)}, 'message', 'per_message', ${n * COST}, ${n}, ${n * 1000})
           on conflict (user_id, bucket, operation, unit) do update set credits_mc = x.credits_mc + excluded.credits_mc, operations = x.operations + excluded.operations, quantity_milli = x.quantity_milli + excluded.quantity_milli;
         commit`,
        );
      } catch (e) {
        await client.query('rollback');
        throw e;
      }
      return rows.map((r) => ({ id: r.usageId, balance: r.balance }));
    },
    close,
  };
}
