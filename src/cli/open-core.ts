/** The domain over the existing database, for a maintenance command, closed after. */
import type { Config } from '../config.js';
import { type Core, createCore } from '../core/index.js';
import { LedgerKey } from '../core/ledger/hash.js';
import { migrateToLatest } from '../db/migrate.js';
import { openExistingDatabase } from './open-existing.js';

/** Exits the process with `code` after printing `message` to stderr. */
export function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

/**
 * Runs `fn` with the domain over the configured database (migrated), then closes it. A
 * missing database is said plainly and the command exits 1 having created nothing (see
 * open-existing.ts).
 */
export async function withCore<T>(name: string, fn: (core: Core, config: Config) => Promise<T>): Promise<T> {
  const { config, database } = await openExistingDatabase(name);
  // These commands write no ledger row: the ledger is re-keyed by `migrate` or `serve`, never here.
  const core = createCore(database, { ledgerKey: new LedgerKey(config.ledgerKey) });
  try {
    await migrateToLatest(database.db);
    return await fn(core, config);
  } finally {
    await core.writer.close();
    await database.close();
  }
}
