/** The database of a start: opened from the configuration, migrated and keyed, with its super admin. */
import type { Config } from '../config.js';
import { createUser, normalizeEmail } from '../core/accounts/create-user.js';
import type { Core } from '../core/index.js';
import { LedgerKey } from '../core/ledger/hash.js';
import { type KeyLedgerReport, keyLedger } from '../core/ledger/key-ledger.js';
import { migrateToLatest } from '../db/migrate.js';
import { type Database, openDatabase } from '../db/open.js';

export async function openConfiguredDatabase(config: Config, pgSchema?: string): Promise<Database> {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    sqlitePath: config.sqlitePath,
    sqliteSynchronous: config.sqliteSynchronous,
    pgPoolSize: config.pgPoolSize,
    pgSynchronousCommit: config.pgSynchronousCommit,
    pgPipelinedWrites: config.pgPipelinedWrites,
    pgPreparedWrites: config.pgPreparedWrites,
    pgSchema,
  });
}

/**
 * Brings the database up to this release: pending migrations, then the ledger keyed if it
 * is not yet (see key-ledger.ts): a start keys by itself only a ledger without rows or,
 * outside production, one never keyed; `keyLedger: true` is the operator's explicit
 * `credits migrate --key-ledger`. Refuses a ledger key other than the one the ledger is
 * hashed with, and a ledger that was keyed and reset to the old scheme.
 */
export async function prepareDatabase(
  database: Database,
  config: Config,
  opts: { keyLedger?: boolean } = {},
): Promise<KeyLedgerReport & { migrations: string[] }> {
  const migrations = await migrateToLatest(database.db);
  const report = await keyLedger(database, new LedgerKey(config.ledgerKey), {
    explicit: opts.keyLedger ?? false,
    production: config.isProduction,
  });
  return { ...report, migrations };
}

/** Creates the super admin from the configuration when it does not exist yet. */
export async function ensureSuperAdmin(core: Core, config: Config): Promise<void> {
  if (!config.superAdmin) return;
  const email = normalizeEmail(config.superAdmin.email);
  const exists = await core.database.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (exists) return;
  try {
    await createUser(core.writer, {
      email,
      name: 'Super admin',
      password: config.superAdmin.password,
      passwordMinScore: config.passwordMinScore,
      role: 'super_admin',
      emailVerified: true,
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'validation_error') throw new Error(`SUPER_ADMIN_PASSWORD is refused: ${(e as Error).message}`);
    // Another instance created it at the same moment.
    if ((e as { code?: string }).code !== 'conflict') throw e;
  }
}
