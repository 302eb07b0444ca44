/**
 * `credits verify` proves the ledger against tampering. A database is filled through the
 * service by the normal operations (purchases, refunds, a dispute, metered usage, calls,
 * a usage charge reversed, holds, adjustments, the super admin's uncharged usage) and verifies clean; its chain
 * heads are exported. Then each test tampers with a copy of it one way and shows verify
 * catching it: a forged row appended with a recomputed plain-SHA hash, a null turned
 * into '', text moved across a field boundary (both invisible to the release before's
 * hash), a chain cut back together with its balance and history rewritten with the key
 * (both caught by the exported heads), a payment granted twice, claw-backs that do not
 * add up, a usage record removed, and the wrong key.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, LedgerKey, hashRow, legacyHashRow } from '../../src/core/ledger/hash.js';
import { movementsByGrant } from '../../src/core/ledger/verify-grants.js';
import { type ChainHead, type VerifyReport, verifyLedger } from '../../src/core/ledger/verify.js';
import { lockPayment, recordDispute } from '../../src/core/payments/payment-events.js';
import { type Database, openDatabase } from '../../src/db/open.js';
import type { DB, TransactionRow } from '../../src/db/schema.js';
import { TEST_PG_URL, activeDialects, testLedgerKey } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

type User = Awaited<ReturnType<TestServer['register']>>;

/** A copy of the server's database (SQLite: VACUUM INTO; Postgres: a new schema with every table copied). */
async function copyOf(s: TestServer): Promise<{ database: Database; dispose(): Promise<void> }> {
  const db = s.running.core.database.db;
  if (s.dialect === 'sqlite') {
    const path = join(s.dataDir, `copy-${randomUUID()}.db`);
    await sql`vacuum into ${path}`.execute(db);
    const database = await openDatabase({ sqlitePath: path, sqliteSynchronous: 'OFF' });
    return { database, dispose: () => database.close() };
  }
  const from = s.pgSchema as string;
  const to = `${from}_c${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  await c.query(`create schema ${to}`);
  const tables = await c.query<{ t: string }>(
    `select table_name as t from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE'`,
    [from],
  );
  for (const { t } of tables.rows) {
    const cols = await c.query<{ c: string }>(
      `select column_name as c from information_schema.columns where table_schema = $1 and table_name = $2 and is_generated = 'NEVER' order by ordinal_position`,
      [from, t],
    );
    const list = cols.rows.map((r) => `"${r.c}"`).join(', ');
    await c.query(`create table ${to}."${t}" (like ${from}."${t}" including all)`);
    await c.query(`insert into ${to}."${t}" (${list}) select ${list} from ${from}."${t}"`);
  }
  await c.end();
  const database = await openDatabase({ databaseUrl: TEST_PG_URL, pgSchema: to, pgPoolSize: 2 });
  return {
    database,
    dispose: async () => {
      await database.close();
      const d = new pg.Client({ connectionString: TEST_PG_URL });
      await d.connect();
      await d.query(`drop schema if exists ${to} cascade`);
      await d.end();
    },
  };
}

async function chain(db: Kysely<DB>, userId: string): Promise<TransactionRow[]> {
  return db.selectFrom('credit_transactions').selectAll().where('user_id', '=', userId).orderBy('seq').execute();
}

/**
 * Rewrites an account's chain from its rows as edited by `edit`: balances after, prev
 * hashes and hashes recomputed with `hash`, and the account row made to agree — what an
 * attacker holding the database (and, for `hashRow`, the ledger key) would do.
 */
async function rewrite(
  db: Kysely<DB>,
  userId: string,
  edit: (rows: TransactionRow[]) => TransactionRow[],
  hash: (prev: string, r: TransactionRow) => string,
) {
  const rows = edit(await chain(db, userId));
  await db.deleteFrom('credit_transactions').where('user_id', '=', userId).execute();
  let prev = GENESIS_HASH;
  let balance = 0;
  let reserved = 0;
  let purchased = 0;
  let used = 0;
  for (const [i, r] of rows.entries()) {
    balance += r.amount_mc;
    reserved += r.reserved_change_mc;
    if (['purchase', 'bonus', 'auto_recharge'].includes(r.type)) purchased += r.amount_mc;
    if (r.type === 'usage') used -= r.amount_mc;
    const row = { ...r, seq: i + 1, balance_after_mc: balance, reserved_after_mc: reserved, prev_hash: prev };
    row.hash = hash(prev, row);
    prev = row.hash;
    await db.insertInto('credit_transactions').values(row).execute();
  }
  await db
    .updateTable('user_credits')
    .set({
      balance_mc: balance,
      reserved_mc: reserved,
      seq: rows.length,
      last_hash: prev,
      lifetime_purchased_mc: purchased,
      lifetime_used_mc: used,
    })
    .where('user_id', '=', userId)
    .execute();
  // The grants too, so the balance they make up agrees (an attacker who knows what verify checks).
  const grants = await db.selectFrom('grants').selectAll().where('user_id', '=', userId).orderBy('id').execute();
  let left = Math.max(0, balance);
  for (const [i, g] of grants.entries()) {
    const last = i === grants.length - 1;
    const remaining = last ? left : Math.min(left, g.credits_mc - g.expired_mc);
    left -= remaining;
    await db
      .updateTable('grants')
      .set({ remaining_mc: remaining, reserved_mc: 0, credits_mc: Math.max(g.credits_mc, remaining + g.expired_mc) })
      .where('id', '=', g.id)
      .execute();
    // And the grant's movements, so they sum to what it is made to have left.
    await db.deleteFrom('grant_movements').where('grant_id', '=', g.id).execute();
    if (remaining !== 0) {
      await db
        .insertInto('grant_movements')
        .values({ transaction_id: `forged_${g.id}`, grant_id: g.id, user_id: userId, amount_mc: remaining, created_at: g.created_at })
        .execute();
    }
  }
}

const withKey = (key: LedgerKey) => (prev: string, r: TransactionRow) => hashRow(key, prev, r);

describe.each(await activeDialects())('verify catches tampering (%s)', (dialect) => {
  let s: TestServer;
  let heads: ChainHead[];
  let clean: VerifyReport;
  const users: Record<string, User> = {};
  const payments = { buyer: '', refunded: '', disputed: '' };

  beforeAll(async () => {
    s = await startTestServer(dialect, { SERVICE_API_KEY: 'service-key-123' });
    const admin = await s.userWithRole('admin');
    const boss = await s.userWithRole('super_admin');
    for (const name of ['buyer', 'spender', 'refunded', 'disputed', 'adjusted', 'rewritten']) users[name] = await s.register();
    const u = users as Record<string, User>;
    const buy = async (who: User, packageId = 'pkg_professional') => {
      const r = await who.api.post('/api/credits/purchase', { packageId });
      expect(r.status).toBe(201);
      return r.body.payment.id as string;
    };
    payments.buyer = await buy(u.buyer as User);
    await buy(u.spender as User, 'pkg_starter');
    payments.refunded = await buy(u.refunded as User);
    payments.disputed = await buy(u.disputed as User);
    // Metered usage of every kind.
    const spender = u.spender as User;
    for (let i = 0; i < 3; i++) expect((await spender.api.post('/api/messages', { to: 'x', body: `hello ${i}` })).status).toBe(201);
    expect((await spender.api.post('/api/workflows/screen/execute', {})).status).toBe(201);
    const file = new FormData();
    file.append('file', new Blob([new Uint8Array(300_000).fill(1)]), 'cv.pdf');
    expect((await spender.api.request('POST', '/api/files', { raw: file })).status).toBe(201);
    expect(
      (
        await s.api.post(
          '/api/usage',
          { userId: spender.user.id, operation: 'llm_tokens', unit: 'per_1k_tokens', quantity: 2500, idempotencyKey: 'llm-1' },
          { 'x-service-key': 'service-key-123' },
        )
      ).status,
    ).toBe(201);
    const call = await spender.api.post('/api/vapi/calls', { phoneNumber: '+15551234567' });
    expect(call.status).toBe(201);
    expect((await spender.api.post(`/api/vapi/calls/${call.body.call.id}/end`, { durationSeconds: 61 })).status).toBe(200);
    // A usage charge given back, as an abandoned call's start charge is.
    const reversible = await s.running.core.ledger.spend(spender.user.id, {
      operation: 'message',
      unit: 'per_message',
      quantityMilli: 1000,
    });
    await s.running.core.ledger.reverseUsage(spender.user.id, reversible.usageId as string);
    await s.running.core.ledger.reserve(spender.user.id, 1_000, Date.now() - 1);
    await s.running.core.ledger.releaseExpiredHolds();
    // Refunds (partial, then the rest) and a dispute lost after a partial refund.
    expect((await admin.api.post(`/api/admin/payments/${payments.refunded}/refund`, { amountCents: 1500 })).status).toBe(200);
    expect((await admin.api.post(`/api/admin/payments/${payments.refunded}/refund`, {})).status).toBe(200);
    expect((await admin.api.post(`/api/admin/payments/${payments.disputed}/refund`, { amountCents: 900 })).status).toBe(200);
    for (const state of ['open', 'lost'] as const) {
      await s.running.core.writer.transaction(async (scope) => {
        const p = await lockPayment(scope, dialect, { id: payments.disputed });
        if (p) await recordDispute(scope, p, state, 4500, null);
      });
    }
    // Adjustments, the first with a text holding the old hash's separator (the API refuses control
    // characters in free text now; the ledger's encoding must not depend on that); the super admin's uncharged usage.
    const adjusted = u.adjusted as User;
    await s.running.core.ledger.grant(adjusted.user.id, 12_000, 'adjustment', {
      description: 'Goodwill\u001f{"ticket":7}',
      metadata: { reason: 'goodwill' },
    });
    expect((await admin.api.post(`/api/admin/users/${adjusted.user.id}/adjustments`, { amount: -2, reason: 'Correction' })).status).toBe(
      201,
    );
    for (const amount of [5, 3, -1]) {
      expect(
        (await admin.api.post(`/api/admin/users/${(u.rewritten as User).user.id}/adjustments`, { amount, reason: `step ${amount}` }))
          .status,
      ).toBe(201);
    }
    expect((await boss.api.post('/api/messages', { to: 'x', body: 'free' })).status).toBe(201);
    await s.running.core.writer.drain();

    clean = await verifyLedger(s.running.core.database.db, s.running.core.ledgerKey);
    heads = clean.heads;
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** Tampers with a copy, then verifies it (with the exported heads when asked). */
  async function tampered(fn: (db: Kysely<DB>) => Promise<void>, opts: { heads?: boolean; key?: LedgerKey } = {}): Promise<string> {
    const copy = await copyOf(s);
    try {
      await fn(copy.database.db);
      const r = await verifyLedger(copy.database.db, opts.key ?? testLedgerKey, opts.heads ? { heads } : {});
      expect(r.ok).toBe(r.violations.length === 0);
      return r.violations.join('\n');
    } finally {
      await copy.dispose();
    }
  }
  const id = (name: string) => (users[name] as User).user.id;

  it('verifies clean after the whole normal suite of operations, and against its own heads', async () => {
    expect(clean.violations).toEqual([]);
    expect(clean.payments).toBe(4);
    expect(clean.usageRows).toBeGreaterThanOrEqual(10);
    expect(heads.length).toBeGreaterThanOrEqual(6);
    expect(await tampered(async () => {}, { heads: true })).toBe('');
  });

  it('catches a forged row appended with a recomputed plain-SHA hash', async () => {
    const out = await tampered(async (db) => {
      const a = await db.selectFrom('user_credits').selectAll().where('user_id', '=', id('buyer')).executeTakeFirstOrThrow();
      const row = {
        id: randomUUID(),
        user_id: a.user_id,
        seq: a.seq + 1,
        type: 'adjustment' as const,
        amount_mc: 1_000_000,
        reserved_change_mc: 0,
        balance_after_mc: a.balance_mc + 1_000_000,
        reserved_after_mc: a.reserved_mc,
        description: 'Adjustment',
        metadata: null,
        reference_type: null,
        reference_id: null,
        idempotency_key: null,
        prev_hash: a.last_hash,
        hash: '',
        created_at: Date.now(),
      };
      row.hash = legacyHashRow(row.prev_hash, row);
      await db.insertInto('credit_transactions').values(row).execute();
      await db
        .updateTable('user_credits')
        .set({ balance_mc: row.balance_after_mc, seq: row.seq, last_hash: row.hash })
        .where('user_id', '=', a.user_id)
        .execute();
    });
    expect(out).toMatch(new RegExp(`account ${id('buyer')} row \\d+ .*hash does not match the row`));
    // The grants, which the forger left alone, do not make up the forged balance either.
    expect(out).toMatch(new RegExp(`account ${id('buyer')}: its grants have \\d+ left, its balance's positive part is \\d+`));
    expect(out.split('\n')).toHaveLength(2);
  });

  it('catches a null turned into the empty string', async () => {
    const out = await tampered(async (db) => {
      await db
        .updateTable('credit_transactions')
        .set({ idempotency_key: '' })
        .where('user_id', '=', id('adjusted'))
        .where('seq', '=', 2)
        .where('idempotency_key', 'is', null)
        .execute();
    });
    expect(out).toMatch(new RegExp(`account ${id('adjusted')} row 2 .*hash does not match the row`));
  });

  it('catches text moved across a field boundary', async () => {
    const out = await tampered(async (db) => {
      const [row] = await db
        .selectFrom('credit_transactions')
        .selectAll()
        .where('user_id', '=', id('adjusted'))
        .where('seq', '=', 1)
        .execute();
      const r = row as TransactionRow;
      expect(r.description).toBe('Goodwill\u001f{"ticket":7}');
      // The release before hashed both the same: "Goodwill␟{…}" + "{meta}" and "Goodwill" + "{…}␟{meta}".
      const moved = { ...r, description: 'Goodwill', metadata: `{"ticket":7}\u001f${r.metadata}` };
      expect(legacyHashRow(r.prev_hash, moved)).toBe(legacyHashRow(r.prev_hash, r));
      await db
        .updateTable('credit_transactions')
        .set({ description: moved.description, metadata: moved.metadata })
        .where('id', '=', r.id)
        .execute();
    });
    expect(out).toMatch(new RegExp(`account ${id('adjusted')} row 1 .*hash does not match the row`));
  });

  it('catches a chain cut back together with its balance, by the exported heads', async () => {
    const cut = async (db: Kysely<DB>) => rewrite(db, id('rewritten'), (rows) => rows.slice(0, -1), withKey(testLedgerKey));
    // Consistent in itself: only the anchor shows it.
    expect(await tampered(cut)).toBe('');
    const out = await tampered(cut, { heads: true });
    expect(out).toMatch(new RegExp(`account ${id('rewritten')}: its chain has 2 rows, cut back below the exported head at seq 3`));
  });

  it('catches history rewritten with the ledger key, by the exported heads', async () => {
    const raise = async (db: Kysely<DB>) =>
      rewrite(
        db,
        id('rewritten'),
        (rows) => rows.map((r) => (r.seq === 1 ? { ...r, amount_mc: r.amount_mc * 10 } : r)),
        withKey(testLedgerKey),
      );
    expect(await tampered(raise)).toBe('');
    const out = await tampered(raise, { heads: true });
    expect(out).toMatch(new RegExp(`account ${id('rewritten')} row 3 .*differs from the exported head at seq 3`));
  });

  it('catches a payment granted twice, even with valid hashes', async () => {
    const out = await tampered(async (db) =>
      rewrite(
        db,
        id('buyer'),
        (rows) => [...rows, ...rows.filter((r) => r.reference_id === payments.buyer).map((r) => ({ ...r, id: randomUUID() }))],
        withKey(testLedgerKey),
      ),
    );
    expect(out).toMatch(new RegExp(`payment ${payments.buyer}: succeeded, granted 2 time\\(s\\)`));
    expect(out).toMatch(new RegExp(`payment ${payments.buyer}: bonus granted 2 time\\(s\\)`));
  });

  it('catches claw-backs that do not add up to what the payment says', async () => {
    const out = await tampered(async (db) => {
      await db.updateTable('stripe_payments').set({ clawed_back_mc: 0 }).where('id', '=', payments.refunded).execute();
      await db.updateTable('stripe_payments').set({ dispute_clawed_mc: 1 }).where('id', '=', payments.disputed).execute();
    });
    expect(out).toMatch(new RegExp(`payment ${payments.refunded}: refund rows take 550000, the payment says 0 was clawed back`));
    expect(out).toMatch(new RegExp(`payment ${payments.disputed}: dispute rows take \\d+, the payment says its lost dispute took 1`));
  });

  it('catches a usage record removed', async () => {
    const out = await tampered(async (db) => {
      const u = await db
        .selectFrom('usage_tracking')
        .selectAll()
        .where('user_id', '=', id('spender'))
        .where('operation', '=', 'message')
        .orderBy('id')
        .executeTakeFirstOrThrow();
      await db.deleteFrom('usage_tracking').where('id', '=', u.id).execute();
      // The rollup made to agree, so only the cross-check can see it.
      await db
        .updateTable('usage_rollups')
        .set((eb) => ({
          credits_mc: eb('credits_mc', '-', u.charged_mc),
          operations: eb('operations', '-', 1),
          quantity_milli: eb('quantity_milli', '-', u.quantity_milli),
        }))
        .where('user_id', '=', u.user_id)
        .where('operation', '=', 'message')
        .where('bucket', '=', u.created_at - (u.created_at % 3_600_000))
        .execute();
    });
    expect(out).toMatch(/a usage row without its usage record/);
    expect(out.split('\n')).toHaveLength(1);
  });

  it("catches a grant's movements that do not add up to what it has left, read page by page", async () => {
    const db = s.running.core.database.db;
    // The sums page by page (pages of 2 and 3 cut the movements everywhere) are the GROUP BY's.
    const grouped = await db
      .selectFrom('grant_movements')
      .select('grant_id')
      .select((eb) => eb.fn.sum<number>('amount_mc').as('mc'))
      .groupBy('grant_id')
      .execute();
    const expected = new Map(grouped.map((g) => [g.grant_id, Number(g.mc)]));
    const rows = await db.selectFrom('grant_movements').select('grant_id').execute();
    expect(rows.length).toBeGreaterThan(3);
    for (const page of [2, 3, 5000]) expect(await movementsByGrant(db, page)).toEqual(expected);

    let grantId = '';
    const out = await tampered(async (db) => {
      const m = await db
        .selectFrom('grant_movements')
        .selectAll()
        .where('user_id', '=', id('spender'))
        .orderBy('transaction_id')
        .executeTakeFirstOrThrow();
      grantId = m.grant_id;
      await db
        .updateTable('grant_movements')
        .set({ amount_mc: m.amount_mc + 1 })
        .where('transaction_id', '=', m.transaction_id)
        .where('grant_id', '=', m.grant_id)
        .execute();
    });
    expect(out).toMatch(new RegExp(`^grant ${grantId}: \\d+ left, its movements total \\d+$`));
  });

  it('names a wrong key instead of reporting every row', async () => {
    const out = await tampered(async () => {}, { key: new LedgerKey('another-key-another-key-another-key') });
    expect(out).toMatch(
      /^the ledger key is not the key the ledger is hashed with \(LEDGER_KEY, .*set LEDGER_KEY to the key it was written with; row hashes not checked$/,
    );
  });
});
