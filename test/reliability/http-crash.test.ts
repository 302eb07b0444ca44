/**
 * Crashes under concurrent metered HTTP load, with a client that keeps a log of every
 * acknowledged request (a 201) with its Idempotency-Key and re-sends every request that got
 * no answer or a 503.
 *
 * 1. kill -9 of the whole server, 20 times, restarting it each time (SQLite with
 *    synchronous=FULL, and Postgres). After each kill, before the restart, every
 *    acknowledged key is in the ledger exactly once.
 * 2. Postgres itself stopped with `-m immediate` mid-load (a server of the test's own, see
 *    private-postgres.ts) and started again while the service keeps running: requests
 *    meanwhile answer 503, the service reconnects by itself, nothing acknowledged is lost.
 *
 * At the end every key is in the ledger exactly once (retried ones included), the balance
 * is the start minus one message per key, and `verifyLedger` is clean.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type Database, openDatabase } from '../../src/db/open.js';
import { seed } from '../../src/db/seed.js';
import { activeDialects, createTestDb, postgresAvailable, type TestDb, usageRowsPerKey, testLedgerKey } from '../support/db.js';
import { type PrivatePostgres, privatePostgresAvailable, startPrivatePostgres } from '../support/private-postgres.js';
import { databaseEnv, kill9, spawnServer } from '../support/spawn-server.js';
import { until } from '../support/poll.js';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 20);
const PG_STOPS = Number(process.env.PG_STOP_CYCLES ?? 5);
const KEYS = 3000;
const LANES = 32;
const MESSAGE_MC = 100;
const BONUS_CREDITS = 1_000_000;

function startServer(env: Record<string, string>) {
  return spawnServer({ SIGNUP_BONUS_CREDITS: String(BONUS_CREDITS), ...env });
}

/** The client: 32 lanes sending metered messages, each with its own key, and a log of what was acknowledged. */
class LoadClient {
  readonly queue = Array.from({ length: KEYS }, (_, i) => `msg-${i}`);
  readonly acked = new Set<string>();
  readonly statuses = new Map<number, number>();
  answered = 0;
  unanswered = 0;
  replayed = 0;
  token = '';
  userId = '';

  async register(url: string, email: string) {
    const reg = await fetch(`${url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'crash-password', name: 'Crash' }),
    });
    expect(reg.status).toBe(201);
    const { token, user } = (await reg.json()) as { token: string; user: { id: string } };
    this.token = token;
    this.userId = user.id;
  }

  /**
   * Sends until the keys run out. With `untilDead`, a lane stops at the first request
   * without an answer (the server died); otherwise it backs off and goes on. A request
   * without an answer, or answered 503, goes back in the queue.
   */
  async drive(url: string, untilDead: boolean) {
    let dead = false;
    const lanes = Array.from({ length: LANES }, async () => {
      while (!dead) {
        const key = this.queue.shift();
        if (key === undefined) return;
        try {
          const r = await fetch(`${url}/api/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}`, 'idempotency-key': key },
            body: JSON.stringify({ to: '+15550001111', body: `message ${key}` }),
            signal: AbortSignal.timeout(20_000),
          });
          this.answered++;
          this.statuses.set(r.status, (this.statuses.get(r.status) ?? 0) + 1);
          await r.arrayBuffer();
          if (r.status === 201) {
            // A retried request the server had already applied comes back as a replay.
            if (r.headers.get('idempotent-replayed') === 'true') this.replayed++;
            this.acked.add(key);
          } else {
            this.queue.push(key);
            await sleep(20); // a client's pause before it retries: a gap on purpose
          }
        } catch {
          // No answer: the request may or may not have been applied; retry it.
          this.unanswered++;
          this.queue.push(key);
          if (untilDead) dead = true;
          else await sleep(20); // the same pause before a retry
        }
      }
    });
    await Promise.all(lanes);
  }

  /** Resolves once `n` more keys are acknowledged (or none are left); fails after a minute without. */
  async ackedMore(n: number) {
    const target = this.acked.size + n;
    await until(`${n} more acknowledgements`, () => this.acked.size >= target || this.queue.length === 0, 60_000, 2);
  }

  /** Every acknowledged key is in the ledger exactly once, no key twice, and the ledger verifies. */
  async expectConsistent(db: Database, label: string) {
    // What was acknowledged before the ledger is read (under load more arrive meanwhile).
    const acked = [...this.acked];
    const counts = await usageRowsPerKey(db.db, this.userId);
    const notOnce = acked.filter((k) => counts.get(k) !== 1);
    expect(notOnce, `${label}: acknowledged but not in the ledger exactly once`).toEqual([]);
    expect(
      [...counts.entries()].filter(([, n]) => n !== 1),
      `${label}: a key applied twice`,
    ).toEqual([]);
    expect((await verifyLedger(db.db, testLedgerKey)).violations, label).toEqual([]);
  }

  /** The end state: all keys once, the balance, no 5xx but 503. */
  async expectFinal(db: Database) {
    expect(this.acked.size).toBe(KEYS);
    expect(
      [...this.statuses.keys()].filter((s) => s >= 500 && s !== 503),
      `statuses ${JSON.stringify([...this.statuses])}`,
    ).toEqual([]);
    await this.expectConsistent(db, 'final');
    expect((await usageRowsPerKey(db.db, this.userId)).size).toBe(KEYS);
    const acct = await db.db.selectFrom('user_credits').selectAll().where('user_id', '=', this.userId).executeTakeFirstOrThrow();
    expect(acct.balance_mc).toBe(BONUS_CREDITS * 1000 - KEYS * MESSAGE_MC);
  }

  summary(): string {
    return (
      `${KEYS} keys acknowledged once each, ${this.answered} answered requests, ${this.unanswered} without an answer and retried, ` +
      `${this.replayed} answered as replays of an applied debit, statuses ${JSON.stringify(Object.fromEntries(this.statuses))}`
    );
  }
}

describe.each(await activeDialects())('kill -9 of the server under metered HTTP load (%s)', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb(dialect, { synchronous: 'FULL' });
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it(`keeps every acknowledged request exactly once over ${CYCLES} kills`, { timeout: 600_000 }, async () => {
    let server = await startServer(databaseEnv(db, 4));
    const client = new LoadClient();
    await client.register(server.url, `crash-${dialect}@example.com`);

    for (let c = 0; c < CYCLES; c++) {
      // Kill mid-load: after 20 to 99 fresh acknowledgements, with the other lanes' requests in flight.
      const driving = client.drive(server.url, true);
      await client.ackedMore(20 + Math.floor(Math.random() * 80));
      await kill9(server.child);
      await driving;
      await client.expectConsistent(db.database, `after kill ${c + 1}`);
      server = await startServer(databaseEnv(db, 4));
    }
    // The last run goes to the end: every key acknowledged, retried ones replayed or applied once.
    while (client.queue.length > 0) await client.drive(server.url, true);
    await kill9(server.child);
    await client.expectFinal(db.database);
    console.info(`[crash ${dialect}] ${CYCLES} kills: ${client.summary()}`);
  });
});

describe.runIf((await postgresAvailable()) && privatePostgresAvailable())(
  'PostgreSQL stopped with -m immediate under metered HTTP load',
  () => {
    let pgServer: PrivatePostgres;
    let database: Database;
    beforeAll(async () => {
      pgServer = await startPrivatePostgres();
      database = await openDatabase({ databaseUrl: pgServer.url, pgPoolSize: 2 });
      await migrateToLatest(database.db);
      await seed(database.db);
    }, 120_000);
    afterAll(async () => {
      await database?.close();
      await pgServer?.dispose();
    });

    it(`loses nothing acknowledged over ${PG_STOPS} stops, and the service recovers by itself`, { timeout: 300_000 }, async () => {
      const server = await startServer({ DATABASE_URL: pgServer.url, PG_POOL_SIZE: '4' });
      const client = new LoadClient();
      await client.register(server.url, 'pg-stop@example.com');
      const recoveries: number[] = [];
      try {
        const driving = client.drive(server.url, false);
        for (let c = 0; c < PG_STOPS; c++) {
          await client.ackedMore(100 + Math.floor(Math.random() * 200));
          await pgServer.stopImmediate();
          const refusedBefore = client.statuses.get(503) ?? 0;
          // PostgreSQL stays down for 300 ms on purpose: requests meet it down.
          await sleep(300);
          const ackedWhileDown = client.acked.size;
          await pgServer.start();
          const up = performance.now();
          await client.ackedMore(1);
          recoveries.push(Math.round(performance.now() - up));
          expect(ackedWhileDown, 'nothing can be acknowledged while the database is down').toBeLessThanOrEqual(client.acked.size);
          expect((client.statuses.get(503) ?? 0) - refusedBefore, `stop ${c + 1}: requests meanwhile answered 503`).toBeGreaterThan(0);
          await client.expectConsistent(database, `after stop ${c + 1}`);
        }
        await driving;
        await client.expectFinal(database);
      } finally {
        await kill9(server.child);
      }
      console.info(
        `[pg stop -m immediate] ${PG_STOPS} stops, first acknowledgement after restart in ${JSON.stringify(recoveries)} ms: ${client.summary()}`,
      );
    });
  },
);
