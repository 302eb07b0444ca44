/**
 * A database made by the release before the keyed ledger (test/fixtures/release-ledger.json,
 * written by that release's own code: plain SHA-256 chains, refunds, a dispute captured
 * through its hold, a usage charge reversed) migrates: the migrations of this release apply, start-up re-hashes every
 * chain with the ledger key keeping each row's seq and fields, and verify is clean. Done
 * once, whatever the number of instances starting together; a production start leaves it
 * to the operator (`credits migrate --key-ledger`); a start with another key is refused; a
 * row that was already broken is not vouched for.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { GENESIS_HASH, LedgerKey, legacyHashRow } from '../../src/core/ledger/hash.js';
import { LedgerKeyMismatch, LedgerNotKeyed, keyLedger } from '../../src/core/ledger/key-ledger.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type Database, type Dialect, openDatabase } from '../../src/db/open.js';
import type { DB, TransactionRow } from '../../src/db/schema.js';
import { startServer } from '../../src/main.js';
import { TEST_LEDGER_KEY, TEST_PG_URL, activeDialects, testLedgerKey } from '../support/db.js';

interface Fixture {
  release: string;
  migrations: string[];
  tables: Record<string, Record<string, unknown>[]>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/release-ledger.json', import.meta.url), 'utf8')) as Fixture;
/** Parents before children. */
const ORDER = [
  'setup_tokens',
  'users',
  'credit_packages',
  'credit_pricing',
  'user_credits',
  'user_settings',
  'credit_transactions',
  'reservations',
  'usage_tracking',
  'usage_rollups',
  'stripe_payments',
  'credit_alerts',
  'alert_deliveries',
  'audit_log',
  'idempotency_keys',
  'processed_events',
  'vapi_calls',
];

interface Place {
  dialect: Dialect;
  dir: string;
  schema: string | undefined;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

async function place(dialect: Dialect): Promise<Place> {
  const dir = mkdtempSync(join(tmpdir(), 'credits-upgrade-'));
  if (dialect === 'sqlite') {
    return {
      dialect,
      dir,
      schema: undefined,
      open: () => openDatabase({ sqlitePath: join(dir, 'credits.db') }),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `u_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
  return {
    dialect,
    dir,
    schema,
    open: () => openDatabase({ databaseUrl: TEST_PG_URL, pgSchema: schema, pgPoolSize: 3 }),
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      const d = new pg.Client({ connectionString: TEST_PG_URL });
      await d.connect();
      await d.query(`drop schema if exists ${schema} cascade`);
      await d.end();
    },
  };
}

/** The release's database: its migrations, then its rows; `edit` may change them first. */
async function releaseDatabase(p: Place, edit: (t: Fixture['tables']) => void = () => {}): Promise<Database> {
  const tables = structuredClone(fixture.tables);
  edit(tables);
  const database = await p.open();
  expect(await migrateToLatest(database.db, { only: fixture.migrations })).toEqual(fixture.migrations);
  for (const t of ORDER) {
    const rows = tables[t] ?? [];
    if (rows.length > 0)
      await database.db
        .insertInto(t as keyof DB)
        .values(rows as never)
        .execute();
  }
  return database;
}

const rowsOf = (database: Database) =>
  database.db.selectFrom('credit_transactions').selectAll().orderBy('user_id').orderBy('seq').execute();
const withoutHashes = (rows: Record<string, unknown>[]) =>
  rows
    .map(({ prev_hash: _p, hash: _h, member_id: _m, ...r }: Record<string, unknown>) => r)
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));

describe.each(await activeDialects())('upgrading a database of the release before (%s)', (dialect) => {
  const places: Place[] = [];
  const opened: Database[] = [];
  afterEach(async () => {
    for (const d of opened.splice(0)) await d.close().catch(() => undefined);
    for (const p of places.splice(0)) await p.drop();
  });
  async function fresh(edit?: (t: Fixture['tables']) => void) {
    const p = await place(dialect);
    places.push(p);
    const database = await releaseDatabase(p, edit);
    opened.push(database);
    return { p, database };
  }

  it('re-hashes every chain with the key, once, keeping every row, and verifies clean', async () => {
    const { p, database } = await fresh();
    const before = await rowsOf(database);
    expect(before.length).toBe(fixture.tables.credit_transactions?.length);
    // Written by the release: plain SHA-256 chains.
    const legacyOk = before.every((r, i) => {
      const prev = i > 0 && (before[i - 1] as TransactionRow).user_id === r.user_id ? (before[i - 1] as TransactionRow).hash : GENESIS_HASH;
      return r.prev_hash === prev && legacyHashRow(prev, r) === r.hash;
    });
    expect(legacyOk).toBe(true);

    // This release's verify reads it as it is (a backup of the release before, say): with
    // --allow-unkeyed the old hash is checked and the ledger said to be unkeyed; without it,
    // an unkeyed ledger is a violation (anyone can write one).
    expect(await verifyLedger(database.db, testLedgerKey, { allowUnkeyed: true })).toMatchObject({ keyed: false, violations: [] });
    expect((await verifyLedger(database.db, testLedgerKey)).violations).toEqual([expect.stringMatching(/^the ledger is not keyed/)]);
    const applied = await migrateToLatest(database.db);
    expect(applied).toContain('008-dispute-clawbacks');
    expect(applied).toContain('009-ledger-key');
    expect(await verifyLedger(database.db, testLedgerKey, { allowUnkeyed: true })).toMatchObject({ keyed: false, violations: [] });
    // Two instances starting together: one re-hashes, the other finds it done. (Two SQLite
    // connections in one process would wait for each other synchronously: one after the other.)
    const second = await p.open();
    opened.push(second);
    const reports =
      dialect === 'postgres'
        ? await Promise.all([keyLedger(database, testLedgerKey), keyLedger(second, testLedgerKey)])
        : [await keyLedger(database, testLedgerKey), await keyLedger(second, testLedgerKey)];
    expect(reports.map((r) => r.rehashed).sort((a, b) => a - b)).toEqual([0, before.length]);
    expect(reports.flatMap((r) => r.unverified)).toEqual([]);

    const after = await rowsOf(database);
    expect(withoutHashes(after)).toEqual(withoutHashes(before));
    expect(after.every((r, i) => r.hash !== (before[i] as TransactionRow).hash)).toBe(true);
    const report = await verifyLedger(database.db, testLedgerKey);
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ keyed: true, transactions: before.length, payments: 4 });
    // The lost dispute's claw-back, captured through its hold by the release, was filled in.
    const disputed = await database.db.selectFrom('stripe_payments').selectAll().where('status', '=', 'disputed').executeTakeFirstOrThrow();
    expect(disputed.dispute_clawed_mc).toBe(440_000);
    expect((await keyLedger(database, testLedgerKey)).rehashed).toBe(0);
    // Balances became grants (verify above: each account's grants sum to its balance's positive part), never expiring.
    const grants = await database.db.selectFrom('grants').selectAll().execute();
    expect(report.grants).toBe(grants.length);
    expect(grants.length).toBeGreaterThan(0);
    expect(grants.every((g) => g.expires_at === null && g.remaining_mc > 0 && g.remaining_mc <= g.credits_mc)).toBe(true);
  });

  it('a production start does not re-key it by itself; outside production, a start does (never keyed)', async () => {
    const { p, database } = await fresh();
    if (dialect === 'sqlite') await database.close();
    const env = {
      DATA_DIR: p.dir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      JWT_SECRET: 'j'.repeat(40),
      LEDGER_KEY: TEST_LEDGER_KEY,
      ...(dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL } : {}),
    };
    const opts = { logger: false, listen: false, ...(p.schema ? { pgSchema: p.schema } : {}) };
    await expect(startServer(loadConfig({ ...env, NODE_ENV: 'production' }), opts)).rejects.toBeInstanceOf(LedgerNotKeyed);
    const running = await startServer(loadConfig({ ...env, NODE_ENV: 'development' }), opts);
    try {
      const report = await verifyLedger(running.core.database.db, running.core.ledgerKey);
      expect(report).toMatchObject({ keyed: true, violations: [] });
    } finally {
      await running.stop();
    }
  });

  it('refuses another key at start-up, and the service starts with the right one', async () => {
    const { p, database } = await fresh();
    await migrateToLatest(database.db);
    await keyLedger(database, testLedgerKey);
    await expect(keyLedger(database, new LedgerKey('some-other-key-some-other-key-0123'))).rejects.toBeInstanceOf(LedgerKeyMismatch);
    const env = {
      NODE_ENV: 'test',
      DATA_DIR: p.dir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      JWT_SECRET: 'j'.repeat(40),
      ...(dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL } : {}),
    };
    const opts = { logger: false, ...(p.schema ? { pgSchema: p.schema } : {}) };
    if (dialect === 'sqlite') await database.close();
    await expect(startServer(loadConfig({ ...env, LEDGER_KEY: 'some-other-key-some-other-key-0123' }), opts)).rejects.toBeInstanceOf(
      LedgerKeyMismatch,
    );
    const running = await startServer(loadConfig({ ...env, LEDGER_KEY: TEST_LEDGER_KEY }), opts);
    try {
      const u = await running.core.database.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', 'release-4@example.com')
        .executeTakeFirstOrThrow();
      await running.core.ledger.grant(u.id, 1_000, 'adjustment', { description: 'After the upgrade' });
      expect((await verifyLedger(running.core.database.db, running.core.ledgerKey)).violations).toEqual([]);
    } finally {
      await running.stop();
    }
  });

  it('does not vouch for a row that was already broken: verify still reports it', async () => {
    let edited = '';
    const { database } = await fresh((t) => {
      const row = (t.credit_transactions ?? []).find((r) => r.description === 'Goodwill') as Record<string, unknown>;
      row.amount_mc = (row.amount_mc as number) * 100;
      edited = row.id as string;
    });
    await migrateToLatest(database.db);
    const report = await keyLedger(database, testLedgerKey);
    expect(report.unverified).toEqual([expect.stringContaining(edited)]);
    const v = (await verifyLedger(database.db, testLedgerKey)).violations.join('\n');
    expect(v).toMatch(new RegExp(`row 1 \\(${edited}\\): hash does not match the row`));
  });
});
