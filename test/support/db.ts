/**
 * Test databases: a temp SQLite file, or a fresh schema in the test PostgreSQL. Every
 * database test runs on both through `dialects`. Postgres is required in CI (CI=true);
 * elsewhere its suite is skipped, with the reason printed, when the server is not there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { type Core, createCore } from '../../src/core/index.js';
import { LedgerKey } from '../../src/core/ledger/hash.js';
import { keyLedger } from '../../src/core/ledger/key-ledger.js';
import type { WriterOptions } from '../../src/core/ledger/writer.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type Database, type Dialect, openDatabase } from '../../src/db/open.js';
import type { DB } from '../../src/db/schema.js';
import { seed } from '../../src/db/seed.js';

export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The ledger key of every test database and test server (LEDGER_KEY of the servers the tests start). */
export const TEST_LEDGER_KEY = 'test-ledger-key-test-ledger-key-0123456789';
export const testLedgerKey = new LedgerKey(TEST_LEDGER_KEY);

let pgAvailable: Promise<boolean> | null = null;

export function postgresAvailable(): Promise<boolean> {
  pgAvailable ??= (async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } catch (e) {
      if (process.env.CI) throw new Error(`PostgreSQL is required in CI but ${TEST_PG_URL} does not answer: ${e}`);
      console.warn(`[tests] PostgreSQL suite skipped: ${TEST_PG_URL} does not answer (${(e as Error).message})`);
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return pgAvailable;
}

/** The dialects to run database suites on. Postgres is skipped (locally only) when absent. */
export const dialects: Dialect[] = ['sqlite', 'postgres'];

export interface TestDb {
  database: Database;
  dialect: Dialect;
  /** What another process needs to open the same database. */
  url: string | undefined;
  sqlitePath: string | undefined;
  pgSchema: string | undefined;
  dispose(): Promise<void>;
}

/** An empty database of `dialect` (no migration, no seed) in a temporary file or Postgres schema, dropped by `dispose`. */
export async function openEmptyTestDb(
  dialect: Dialect,
  opts: { synchronous?: 'FULL' | 'NORMAL' | 'OFF'; pgPoolSize?: number; pgPreparedWrites?: boolean } = {},
): Promise<Omit<TestDb, 'dialect' | 'url'>> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'credits-test-'));
    const sqlitePath = join(dir, 'credits.db');
    const database = await openDatabase({ sqlitePath, sqliteSynchronous: opts.synchronous ?? 'NORMAL' });
    return {
      database,
      sqlitePath,
      pgSchema: undefined,
      dispose: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const database = await openDatabase({
    databaseUrl: TEST_PG_URL,
    pgSchema: schema,
    pgPoolSize: opts.pgPoolSize ?? 5,
    ...(opts.pgPreparedWrites !== undefined ? { pgPreparedWrites: opts.pgPreparedWrites } : {}),
  });
  return {
    database,
    sqlitePath: undefined,
    pgSchema: schema,
    dispose: async () => {
      await database.close();
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

/** A fresh, migrated and seeded database of `dialect`, its ledger keyed with `testLedgerKey`. */
export async function createTestDb(dialect: Dialect, opts: { synchronous?: 'FULL' | 'NORMAL' | 'OFF' } = {}): Promise<TestDb> {
  const empty = await openEmptyTestDb(dialect, opts);
  await migrateToLatest(empty.database.db);
  await keyLedger(empty.database, testLedgerKey);
  await seed(empty.database.db);
  return { ...empty, dialect, url: dialect === 'postgres' ? TEST_PG_URL : undefined };
}

export interface TestCore extends Core {
  testDb: TestDb;
  dispose(): Promise<void>;
}

export async function createTestCore(dialect: Dialect, opts: Partial<WriterOptions> = {}): Promise<TestCore> {
  const testDb = await createTestDb(dialect);
  const core = createCore(testDb.database, { ledgerKey: testLedgerKey, ...opts });
  return {
    ...core,
    testDb,
    dispose: async () => {
      await core.writer.close();
      await testDb.dispose();
    },
  };
}

/**
 * The core of a suite of `dialect`, made before its tests (on the clock `now` when given, a
 * still clock the tests move) and disposed after them. The object returned is empty until
 * the suite's `beforeAll` fills it with that core: read it in tests and hooks only.
 */
export function useTestCore(dialect: Dialect, now?: () => number): TestCore {
  const core = {} as TestCore;
  beforeAll(async () => {
    Object.assign(core, await createTestCore(dialect, now ? { now } : {}));
  });
  afterAll(async () => {
    await core.dispose?.();
  });
  return core;
}

/** The dialects available here: both in CI (where Postgres is required), SQLite alone when Postgres is absent locally. */
export async function activeDialects(): Promise<Dialect[]> {
  return (await postgresAvailable()) ? dialects : ['sqlite'];
}

/**
 * How many usage rows each idempotency key of an account has, by the key the client sent
 * (the HTTP layer stores keys scoped as `<userId>:<key>`; the prefix is taken off).
 */
export async function usageRowsPerKey(db: Kysely<DB>, userId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('credit_transactions')
    .select(['idempotency_key', sql<number>`count(*)`.as('n')])
    .where('user_id', '=', userId)
    .where('type', '=', 'usage')
    .groupBy('idempotency_key')
    .execute();
  const prefix = `${userId}:`;
  return new Map(
    rows.map((r) => {
      const key = r.idempotency_key ?? '(none)';
      return [key.startsWith(prefix) ? key.slice(prefix.length) : key, Number(r.n)];
    }),
  );
}
