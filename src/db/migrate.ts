import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import * as m001 from './migrations/001-initial.js';
import * as m002 from './migrations/002-calls.js';
import * as m003 from './migrations/003-payments.js';
import * as m004 from './migrations/004-auto-recharge.js';
import * as m005 from './migrations/005-alert-deliveries.js';
import * as m006 from './migrations/006-call-settlement.js';
import * as m010 from './migrations/010-auth-security.js';
import * as m012 from './migrations/012-setup-tokens.js';
import * as m013 from './migrations/013-webhooks.js';
import * as m015 from './migrations/015-external-identity.js';
import * as m014 from './migrations/014-service-api.js';
import * as m008 from './migrations/008-dispute-clawbacks.js';
import * as m009 from './migrations/009-ledger-key.js';
import * as m016 from './migrations/016-payment-records.js';
import * as m017 from './migrations/017-grants.js';
import * as m018 from './migrations/018-payment-reversals.js';
import * as m019 from './migrations/019-accounts.js';
import * as m020 from './migrations/020-grant-movements.js';
import * as m021 from './migrations/021-grants-spending-order.js';
import * as m022 from './migrations/022-payment-buyer.js';
import * as m023 from './migrations/023-index-predicates-without-in.js';
import * as m024 from './migrations/024-indexes-without-nulls.js';
import * as m025 from './migrations/025-grant-movements-no-grant-index.js';
import * as m026 from './migrations/026-grants-open-flag.js';
import * as m027 from './migrations/027-call-provider-status.js';
import type { DB } from './schema.js';

// Migrations are imported, not read from a folder, so they work the same from src/ and dist/.
const migrations: Record<string, Migration> = {
  '001-initial': m001,
  '002-calls': m002,
  '003-payments': m003,
  '004-auto-recharge': m004,
  '005-alert-deliveries': m005,
  '006-call-settlement': m006,
  '010-auth-security': m010,
  '012-setup-tokens': m012,
  '013-webhooks': m013,
  '015-external-identity': m015,
  '014-service-api': m014,
  '008-dispute-clawbacks': m008,
  '009-ledger-key': m009,
  '016-payment-records': m016,
  '017-grants': m017,
  '018-payment-reversals': m018,
  '019-accounts': m019,
  '020-grant-movements': m020,
  '021-grants-spending-order': m021,
  '022-payment-buyer': m022,
  '023-index-predicates-without-in': m023,
  '024-indexes-without-nulls': m024,
  '025-grant-movements-no-grant-index': m025,
  '026-grants-open-flag': m026,
  '027-call-provider-status': m027,
};

const INTROSPECTION_RACE = new Set(['3F000', '42P01', '42703']);

const provider: MigrationProvider = { getMigrations: async () => migrations };

export interface MigrationStatus {
  /** Migrations of this release already applied. */
  applied: string[];
  /** Migrations of this release not applied yet, in the order they would run. */
  pending: string[];
  /** Applied migrations this release does not know: a newer release migrated the database. */
  unknown: string[];
}

async function currentSchema(db: Kysely<DB>): Promise<string | undefined> {
  return sql<{ s: string }>`select current_schema() as s`
    .execute(db)
    .then((r) => r.rows[0]?.s)
    .catch(() => undefined);
}

/** Which migrations are applied, pending, or newer than this release. Reads only. */
export async function migrationStatus(db: Kysely<DB>, of: Record<string, Migration> = migrations): Promise<MigrationStatus> {
  const schema = await currentSchema(db);
  const exists = schema
    ? await sql<{
        n: number;
      }>`select count(*)::int as n from information_schema.tables where table_schema = ${schema} and table_name = 'kysely_migration'`.execute(
        db,
      )
    : await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = 'kysely_migration'`.execute(db);
  const done =
    Number(exists.rows[0]?.n ?? 0) > 0
      ? (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((r) => r.name)
      : [];
  const known = Object.keys(of).sort();
  const doneSet = new Set(done);
  return {
    applied: known.filter((n) => doneSet.has(n)),
    pending: known.filter((n) => !doneSet.has(n)),
    unknown: done.filter((n) => !(n in of)),
  };
}

/** The newest migration this release knows: its schema is in place once that one is applied. */
const NEWEST = Object.keys(migrations).sort().at(-1) as string;

/**
 * Whether the database holds this release's schema: its newest migration is recorded (a
 * newer release's migrations beside it change nothing, they only expand the schema). A
 * primary-key read (after the current schema's name, on PostgreSQL), for the readiness
 * probe: a database dropped and made again empty, or never migrated, answers `select 1` and
 * yet has no tables. On PostgreSQL the bookkeeping
 * table is read in the current schema by name, as the migrator writes it (another schema's
 * on the search path must not answer for it). False when that table is missing; any other
 * failure (the connection) is thrown, for the caller to call the database unavailable.
 */
export async function schemaIsCurrent(db: Kysely<DB>): Promise<boolean> {
  // Undefined on SQLite (one schema, the file's), and when the connection fails: then the read below throws.
  const schema = await currentSchema(db);
  const table = schema ? sql`${sql.id(schema)}.kysely_migration` : sql`kysely_migration`;
  try {
    const r = await sql<{ x: number }>`select 1 as x from ${table} where name = ${NEWEST}`.execute(db);
    return r.rows.length === 1;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === '42P01' || code === '3F000' || /no such table/i.test(String((e as Error).message))) return false;
    throw e;
  }
}

/** The names of the migrations `migrateToLatest` would apply now. */
export async function pendingMigrations(db: Kysely<DB>): Promise<string[]> {
  return (await migrationStatus(db)).pending;
}

/**
 * Applies every pending migration; returns the names applied. Throws on failure. `only`
 * applies just those (the set an earlier release had, to build a database as it left it).
 *
 * On PostgreSQL the whole run holds a session advisory lock named after the schema, on
 * one connection, so instances that start at the same moment migrate one at a time: the
 * first applies, the others find nothing left to do. A database already migrated by a
 * newer release (migrations this one does not know, none of its own missing) is left as
 * it is: migrations only expand the schema, so an older instance still runs on it during
 * a rolling upgrade (docs/operations.md).
 */
export async function migrateToLatest(db: Kysely<DB>, opts: { only?: string[] } = {}): Promise<string[]> {
  const only = opts.only;
  const list = only ? Object.fromEntries(Object.entries(migrations).filter(([name]) => only.includes(name))) : migrations;
  // On Postgres, name the schema: Kysely looks for its bookkeeping tables in every schema
  // otherwise, and a second database in another schema would fool it.
  const schema = await currentSchema(db);
  if (!schema) return migrateUnlocked(db, undefined, list);
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(hashtext('credits:migrate'), hashtext(${schema}))`.execute(conn);
    try {
      return await migrateUnlocked(conn, schema, list);
    } finally {
      await sql`select pg_advisory_unlock(hashtext('credits:migrate'), hashtext(${schema}))`.execute(conn);
    }
  });
}

async function migrateUnlocked(db: Kysely<DB>, schema: string | undefined, list: Record<string, Migration>): Promise<string[]> {
  const status = await migrationStatus(db, list);
  if (status.unknown.length > 0) {
    if (status.pending.length === 0) return [];
    throw new Error(
      `the database has migrations this release does not know (${status.unknown.join(', ')}) and lacks some of its own ` +
        `(${status.pending.join(', ')}): it was migrated by a different line of releases`,
    );
  }
  if (status.pending.length === 0) return [];
  const migrator = new Migrator({
    db,
    provider: list === migrations ? provider : { getMigrations: async () => list },
    // Branches take their numbers from ranges, so a migration may land after a higher-numbered
    // one has run on a database (008 after 012): it is applied, not refused.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
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
