/**
 * Migration 019 (accounts) on a database written by the release before it
 * (test/fixtures/release-018.json, made by that release's own code through its API: sign-ups,
 * purchases of a package whose credits expire, usage of every kind, a call, service
 * customers with usage and holds, one hold still open, refunds, a lost dispute,
 * adjustments, settings and alerts): `credits verify` gives the same figures and verdict
 * before and after, every balance, ledger row and hash stays as it was, every user gets a
 * personal account with their id, name and external id, and the ledger's foreign keys now
 * name accounts (a row of an account that does not exist is refused), on both databases.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type Database, type Dialect, openDatabase } from '../../src/db/open.js';
import type { DB } from '../../src/db/schema.js';
import { TEST_PG_URL, activeDialects, testLedgerKey } from '../support/db.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Fixture {
  release: string;
  migrations: string[];
  tables: Record<string, Record<string, unknown>[]>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/release-018.json', import.meta.url), 'utf8')) as Fixture;
/** Parents before children (the foreign keys of the release: the ledger's tables name users). */
const FIRST = ['users', 'credit_packages'];

async function open(dialect: Dialect): Promise<{ database: Database; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'credits-accounts-'));
    const database = await openDatabase({ sqlitePath: join(dir, 'credits.db') });
    return {
      database,
      drop: async () => {
        await database.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `acc_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
  const database = await openDatabase({ databaseUrl: TEST_PG_URL, pgSchema: schema, pgPoolSize: 3 });
  return {
    database,
    drop: async () => {
      await database.close().catch(() => undefined);
      const d = new pg.Client({ connectionString: TEST_PG_URL });
      await d.connect();
      await d.query(`drop schema if exists ${schema} cascade`);
      await d.end();
    },
  };
}

/** Every row of a table, in a stable order, numbers as numbers (pg and SQLite alike). */
async function dump(db: Database['db'], table: string): Promise<Record<string, unknown>[]> {
  const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)).rows;
  return rows
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const LEDGER_TABLES = [
  'user_credits',
  'credit_transactions',
  'usage_tracking',
  'usage_rollups',
  'reservations',
  'service_holds',
  'grants',
  'reservation_grants',
  'stripe_payments',
  'credit_alerts',
  'user_settings',
  'vapi_calls',
];

describe.each(await activeDialects())('migration 019 (accounts) on a database of the release before (%s)', (dialect) => {
  const dropped: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const d of dropped.splice(0)) await d();
  });

  it('keeps every balance, row and hash, and the verdict of credits verify, and gives each user a personal account', async () => {
    const { database, drop } = await open(dialect);
    dropped.push(drop);
    const db = database.db;
    expect(fixture.migrations).not.toContain('019-accounts');
    expect(await migrateToLatest(db, { only: fixture.migrations })).toEqual(fixture.migrations);
    const names = [...FIRST, ...Object.keys(fixture.tables).filter((t) => !FIRST.includes(t))];
    for (const t of names) {
      const rows = fixture.tables[t] ?? [];
      // The migrations' own rows (the ledger's hashing state) make way for the release's.
      await sql`delete from ${sql.table(t)}`.execute(db);
      for (let i = 0; i < rows.length; i += 50) {
        await db
          .insertInto(t as keyof DB)
          .values(rows.slice(i, i + 50) as never)
          .execute();
      }
    }
    const rowsBefore = Object.fromEntries(await Promise.all(LEDGER_TABLES.map(async (t) => [t, await dump(db, t)] as const)));

    // Today's `credits verify` also reads grant_movements (migration 020, after this one), so it
    // cannot run on the release-018 database itself any more: the verdict is taken after both
    // migrations, against what the release wrote (an open hold, expiring grants, refunds, usage
    // of customers, every transaction), and every ledger row and hash is compared below. When
    // 019 landed (1a1d4b5) this test also compared the whole report before and after: equal.
    expect(await migrateToLatest(db)).toEqual([
      '019-accounts',
      '020-grant-movements',
      '021-grants-spending-order',
      '022-payment-buyer',
      '023-index-predicates-without-in',
      '024-indexes-without-nulls',
      '025-grant-movements-no-grant-index',
      '026-grants-open-flag',
      '027-call-provider-status',
    ]);

    const after = await verifyLedger(db, testLedgerKey);
    expect(after.violations).toEqual([]);
    expect(after).toMatchObject({ ok: true, keyed: true, activeHolds: 1, payments: 5 });
    expect(after.transactions).toBe(fixture.tables.credit_transactions?.length);
    expect(after.grants).toBeGreaterThan(0);
    for (const t of LEDGER_TABLES) {
      // The same rows, with member_id (null: nobody of an organisation caused them), a payment's
      // bought_by (022; null: not recorded before it), a grant's open (026: whether it has credits left)
      // and a call's vapi_status (027; null: VAPI's word was not recorded before it) where they were added.
      const now = (await dump(db, t)).map(({ member_id, bought_by, open, vapi_status, ...r }) => {
        expect(member_id ?? null).toBeNull();
        expect(bought_by ?? null).toBeNull();
        expect(vapi_status ?? null).toBeNull();
        expect(open).toBe(t === 'grants' ? (Number(r.remaining_mc) > 0 ? 1 : 0) : undefined);
        return r;
      });
      expect(now, t).toEqual(rowsBefore[t]);
    }
    // user_credits' computed column survived the rebuild (SQLite) and still computes.
    const balances = await db.selectFrom('user_credits').select(['balance_mc', 'reserved_mc', 'available_mc']).execute();
    expect(balances.some((b) => Number(b.reserved_mc) > 0)).toBe(true);
    for (const b of balances) expect(Number(b.available_mc)).toBe(Number(b.balance_mc) - Number(b.reserved_mc));

    const users = await db.selectFrom('users').select(['id', 'name', 'external_id', 'created_at']).orderBy('id').execute();
    const accounts = await db.selectFrom('accounts').selectAll().orderBy('id').execute();
    expect(
      accounts.map((a) => ({ id: a.id, kind: a.kind, name: a.name, external_id: a.external_id, created_at: Number(a.created_at) })),
    ).toEqual(
      users.map((u) => ({ id: u.id, kind: 'personal', name: u.name, external_id: u.external_id, created_at: Number(u.created_at) })),
    );
    expect(accounts.filter((a) => a.external_id !== null).map((a) => a.external_id)).toEqual(
      expect.arrayContaining(['cust-alpha', 'cust-beta']),
    );

    // The ledger's foreign keys now name accounts: an organisation (no user) can hold a balance...
    const now = Date.now();
    await db.insertInto('accounts').values({ id: 'org-1', kind: 'organization', name: 'Org', created_at: now, updated_at: now }).execute();
    const head = { balance_mc: 0, reserved_mc: 0, lifetime_purchased_mc: 0, lifetime_used_mc: 0, seq: 0, last_hash: 'x', updated_at: now };
    await db
      .insertInto('user_credits')
      .values({ user_id: 'org-1', ...head })
      .execute();
    // ...and a row of an account that does not exist is still refused.
    await expect(
      db
        .insertInto('user_credits')
        .values({ user_id: 'nobody', ...head })
        .execute(),
    ).rejects.toThrow(/foreign key/i);
    // The external ids are one namespace: an organisation cannot take a user's.
    await expect(
      db
        .insertInto('accounts')
        .values({ id: 'org-2', kind: 'organization', name: 'Org', external_id: 'cust-alpha', created_at: now, updated_at: now })
        .execute(),
    ).rejects.toThrow(/unique/i);
    if (dialect === 'sqlite') {
      // The connection's foreign keys are back on, and the rebuilt tables kept their indexes.
      expect((await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db)).rows[0]?.foreign_keys).toBe(1);
      const indexes = (
        await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'credit_transactions'`.execute(db)
      ).rows.map((r) => r.name);
      expect(indexes).toEqual(
        expect.arrayContaining(['credit_transactions_user_time', 'credit_transactions_reference', 'credit_transactions_sales']),
      );
      expect((await sql`pragma foreign_key_check`.execute(db)).rows).toEqual([]);
    }
  });
});
