/**
 * The downgrade forgery: someone who can write to the database but has not the ledger key
 * resets `ledger_state` to the release before's unkeyed scheme, appends a forged grant and
 * re-hashes every chain with plain SHA-256 (which needs no key). Before this was closed,
 * `credits verify` called that ledger clean (only "not keyed yet") and the next start
 * re-hashed it with the key, laundering the forged row for good.
 *
 * Now: verify calls an unkeyed ledger a violation (unless `--allow-unkeyed`, for restores
 * of old backups); a production start refuses it and names `credits migrate --key-ledger`,
 * leaving it as it is; and no start or command re-keys a ledger that shows it was keyed
 * before (its key check value, or chains hashed with the key).
 */
import { dirname } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Core, createCore } from '../../src/core/index.js';
import { GENESIS_HASH, LEGACY_SCHEME, hashRow, legacyHashRow } from '../../src/core/ledger/hash.js';
import { LedgerDowngraded, keyLedger } from '../../src/core/ledger/key-ledger.js';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import type { DB, TransactionRow } from '../../src/db/schema.js';
import { startServer } from '../../src/main.js';
import { TEST_LEDGER_KEY, TEST_PG_URL, type TestDb, activeDialects, createTestDb, testLedgerKey } from '../support/db.js';
import { makeUser } from '../support/factories.js';

const FORGED_MC = 50_000_000;

/** Re-hashes every chain the release before's way (plain SHA-256): no key needed. */
async function rehashUnkeyed(db: Kysely<DB>, only?: string) {
  const rows = await db.selectFrom('credit_transactions').selectAll().orderBy('user_id').orderBy('seq').execute();
  let prev = GENESIS_HASH;
  let user = '';
  for (const r of rows) {
    if (r.user_id !== user) {
      user = r.user_id;
      prev = GENESIS_HASH;
    }
    if (only !== undefined && r.user_id !== only) {
      prev = r.hash;
      continue;
    }
    const hash = legacyHashRow(prev, r);
    await db.updateTable('credit_transactions').set({ prev_hash: prev, hash }).where('id', '=', r.id).execute();
    await db.updateTable('user_credits').set({ last_hash: hash }).where('user_id', '=', r.user_id).where('seq', '=', r.seq).execute();
    prev = hash;
  }
}

/**
 * The attack, with nothing but write access to the database: a forged grant appended to
 * `victim`'s chain (balance and lifetime purchased moved with it, as a real grant would),
 * the state reset to the unkeyed scheme, and the chains re-hashed without the key.
 * `leave` keeps one trace of the keying the attacker failed to remove.
 */
async function downgradeWithForgery(db: Kysely<DB>, victim: string, leave: 'nothing' | 'key check' | 'other chains' = 'nothing') {
  const acct = await db.selectFrom('user_credits').selectAll().where('user_id', '=', victim).executeTakeFirstOrThrow();
  const forged: Omit<TransactionRow, 'hash' | 'prev_hash'> = {
    id: `forged-${acct.seq + 1}`,
    user_id: victim,
    member_id: null,
    seq: acct.seq + 1,
    type: 'adjustment',
    amount_mc: FORGED_MC,
    reserved_change_mc: 0,
    balance_after_mc: acct.balance_mc + FORGED_MC,
    reserved_after_mc: acct.reserved_mc,
    description: 'Goodwill',
    metadata: null,
    reference_type: null,
    reference_id: null,
    idempotency_key: null,
    created_at: Date.now(),
  };
  await db
    .insertInto('credit_transactions')
    .values({ ...forged, prev_hash: acct.last_hash, hash: 'x' })
    .execute();
  await db
    .updateTable('user_credits')
    .set({ balance_mc: forged.balance_after_mc, seq: forged.seq })
    .where('user_id', '=', victim)
    .execute();
  // And the grant such a row would have made, so the grants still make up the balance (the
  // forger knows what verify checks): what is left to catch it is the hash scheme alone.
  await db
    .insertInto('grants')
    .values({
      id: `forged-grant-${forged.seq}`,
      user_id: victim,
      source: 'adjustment',
      credits_mc: FORGED_MC,
      remaining_mc: FORGED_MC,
      reserved_mc: 0,
      expired_mc: 0,
      value_cents: 0,
      payment_id: null,
      transaction_id: forged.id,
      expires_at: null,
      expired_at: null,
      created_at: forged.created_at,
    })
    .execute();
  await db
    .insertInto('grant_movements')
    .values({
      transaction_id: forged.id,
      grant_id: `forged-grant-${forged.seq}`,
      user_id: victim,
      amount_mc: FORGED_MC,
      created_at: forged.created_at,
    })
    .execute();
  await db
    .updateTable('ledger_state')
    .set({ hash_scheme: LEGACY_SCHEME, ...(leave === 'key check' ? {} : { key_check: null }) })
    .where('id', '=', 'chains')
    .execute();
  await rehashUnkeyed(db, leave === 'other chains' ? victim : undefined);
}

async function balanceOf(db: Kysely<DB>, userId: string) {
  return (await db.selectFrom('user_credits').select('balance_mc').where('user_id', '=', userId).executeTakeFirstOrThrow()).balance_mc;
}

describe.each(await activeDialects())('a ledger downgraded to the unkeyed scheme with a forged row (%s)', (dialect) => {
  const dbs: TestDb[] = [];
  afterEach(async () => {
    for (const d of dbs.splice(0)) await d.dispose();
  });

  /** A keyed ledger with a few real movements on two accounts; the writer closed again. */
  async function ledger() {
    const db = await createTestDb(dialect);
    dbs.push(db);
    const core: Core = createCore(db.database, { ledgerKey: testLedgerKey });
    const [a, b] = [await makeUser(core), await makeUser(core)];
    await core.ledger.grant(a.id, 10_000, 'purchase');
    await core.ledger.grant(b.id, 7_000, 'purchase');
    await core.ledger.debit(a.id, 1_000, 'adjustment');
    await core.writer.close();
    expect((await verifyLedger(db.database.db, testLedgerKey)).violations).toEqual([]);
    return { db, victim: a.id };
  }

  function env(db: TestDb, production: boolean) {
    return loadConfig({
      NODE_ENV: production ? 'production' : 'test',
      PORT: '0',
      LOG_LEVEL: 'silent',
      JWT_SECRET: 'j'.repeat(40),
      LEDGER_KEY: TEST_LEDGER_KEY,
      DATA_DIR: db.sqlitePath ? dirname(db.sqlitePath) : '/nonexistent-data-dir',
      ...(db.url ? { DATABASE_URL: TEST_PG_URL } : {}),
    } as NodeJS.ProcessEnv);
  }
  const opts = (db: TestDb) => ({ logger: false, listen: false, ...(db.pgSchema ? { pgSchema: db.pgSchema } : {}) });

  it('verify calls it a violation unless told the ledger may be unkeyed (an old backup)', async () => {
    const { db, victim } = await ledger();
    await downgradeWithForgery(db.database.db, victim);
    const report = await verifyLedger(db.database.db, testLedgerKey);
    expect(report.ok).toBe(false);
    expect(report.keyed).toBe(false);
    expect(report.violations.join('\n')).toMatch(/not keyed.*credits migrate --key-ledger/);
    // A restore of an old backup is checked as such: the old hash holds, so it is said unkeyed, no more.
    expect(await verifyLedger(db.database.db, testLedgerKey, { allowUnkeyed: true })).toMatchObject({ ok: true, keyed: false });
  });

  it('a production start refuses it, names the command, and leaves it unkeyed (the forgery not laundered)', async () => {
    const { db, victim } = await ledger();
    await downgradeWithForgery(db.database.db, victim);
    await expect(startServer(env(db, true), opts(db))).rejects.toThrow(/credits migrate --key-ledger/);
    const state = await db.database.db.selectFrom('ledger_state').selectAll().executeTakeFirstOrThrow();
    expect(state).toMatchObject({ hash_scheme: LEGACY_SCHEME, key_check: null });
    const report = await verifyLedger(db.database.db, testLedgerKey);
    expect(report.ok).toBe(false);
    expect(report.keyed).toBe(false);
    expect(await balanceOf(db.database.db, victim)).toBe(9_000 + FORGED_MC);
  });

  it.each(['key check', 'other chains'] as const)(
    'no start and no command re-keys it while a trace of the keying is left (%s)',
    async (leave) => {
      const { db, victim } = await ledger();
      await downgradeWithForgery(db.database.db, victim, leave);
      // Not even the explicit operator command: the ledger says it was keyed, then reset.
      await expect(keyLedger(db.database, testLedgerKey)).rejects.toBeInstanceOf(LedgerDowngraded);
      await expect(keyLedger(db.database, testLedgerKey, { explicit: false, production: false })).rejects.toBeInstanceOf(LedgerDowngraded);
      const report = await verifyLedger(db.database.db, testLedgerKey, { allowUnkeyed: true });
      expect(report.ok).toBe(false);
      expect(report.violations.join('\n')).toMatch(/was keyed/);
      // Nothing was re-hashed: the forged row still does not carry a keyed hash.
      const forged = await db.database.db
        .selectFrom('credit_transactions')
        .selectAll()
        .where('id', 'like', 'forged-%')
        .executeTakeFirstOrThrow();
      expect(forged.hash).not.toBe(hashRow(testLedgerKey, forged.prev_hash, forged));
      await expect(startServer(env(db, false), opts(db))).rejects.toBeInstanceOf(LedgerDowngraded);
    },
  );

  it('a fresh database (no ledger rows) is keyed at its first start, in production too', async () => {
    const db = await createTestDb(dialect);
    dbs.push(db);
    await sql`update ledger_state set hash_scheme = ${LEGACY_SCHEME}, key_check = null`.execute(db.database.db);
    const running = await startServer(env(db, true), opts(db));
    try {
      const state = await running.core.database.db.selectFrom('ledger_state').selectAll().executeTakeFirstOrThrow();
      expect(state).toMatchObject({ hash_scheme: 'hmac-sha256-v2', key_check: testLedgerKey.check });
    } finally {
      await running.stop();
    }
  });
});
