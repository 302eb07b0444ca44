import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import * as m001 from './migrations/001-initial.js';
import * as m002 from './migrations/002-calls.js';
import * as m003 from './migrations/003-payments.js';
import * as m004 from './migrations/004-auto-recharge.js';
import * as m005 from './migrations/005-alert-deliveries.js';
import * as m006 from './migrations/006-call-settlement.js';
import * as m012 from './migrations/012-setup-tokens.js';
import type { DB } from './schema.js';

// Migrations are imported, not read from a folder, so they work the same from src/ and dist/.
const migrations: Record<string, Migration> = {
  '001-initial': m001,
  '002-calls': m002,
  '003-payments': m003,
  '004-auto-recharge': m004,
  '005-alert-deliveries': m005,
  '006-call-settlement': m006,
  '012-setup-tokens': m012,
};

const INTROSPECTION_RACE = new Set(['3F000', '42P01', '42703']);

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration; returns the names applied. Throws on failure. */
export async function migrateToLatest(db: Kysely<DB>): Promise<string[]> {
  // On Postgres, name the schema: Kysely looks for its bookkeeping tables in every schema
  // otherwise, and a second database in another schema would fool it.
  const schema = await sql<{ s: string }>`select current_schema() as s`
    .execute(db)
    .then((r) => r.rows[0]?.s)
    .catch(() => undefined);
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // Kysely's introspection lists every schema (and calls pg_get_serial_sequence on every
    // column); a schema dropped meanwhile (another database on the same server) fails that
    // listing with 3F000, or 42P01 / 42703 when the table or column vanishes mid-scan.
    // Migrations run in one transaction on Postgres, so trying again is safe.
    if (!INTROSPECTION_RACE.has(String((error as { code?: string }).code)) || attempt >= 5) {
      throw error instanceof Error ? error : new Error(String(error));
    }
  }
}
