/**
 * What every `credits` command but `serve` and `migrate` starts with: the configuration,
 * read without writing anything, and the database, which must exist already. A missing
 * database (no SQLite file in DATA_DIR; no tables of ours in the PostgreSQL schema) is
 * said plainly, with what to run instead, and the command exits 1 having created nothing.
 */
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { type Config, ConfigError, loadConfig } from '../config.js';
import type { Database } from '../db/open.js';
import { openConfiguredDatabase } from '../main.js';

/** Where the database is, with any password hidden. */
export function describeDatabase(c: Config): string {
  return c.databaseUrl ? `PostgreSQL (${c.databaseUrl.replace(/\/\/[^@]*@/, '//***@')})` : `SQLite (${c.sqlitePath})`;
}

/** The configuration, or exit 2 with every problem listed. Writes nothing to DATA_DIR. */
export function commandConfig(opts: { persistSecrets?: boolean } = {}): Config {
  try {
    return loadConfig(process.env, { persistSecrets: opts.persistSecrets ?? false });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

export class MissingDatabase extends Error {}

/** Opens the configured database if it exists; throws MissingDatabase (saying what to run) if not. */
export async function openExisting(c: Config): Promise<Database> {
  const create = 'Run `credits migrate` (or `credits serve`) to create it.';
  if (!c.databaseUrl) {
    if (!existsSync(c.sqlitePath)) throw new MissingDatabase(`There is no database at ${c.sqlitePath} (DATA_DIR=${c.dataDir}). ${create}`);
    return openConfiguredDatabase(c);
  }
  const database = await openConfiguredDatabase(c);
  let tables: number;
  try {
    const r = await sql<{
      n: number;
    }>`select count(*) as n from information_schema.tables where table_schema = current_schema() and table_name = 'kysely_migration'`.execute(
      database.db,
    );
    tables = Number(r.rows[0]?.n ?? 0);
  } catch (e) {
    await database.close();
    const code = (e as { code?: string }).code;
    if (code === '3D000')
      throw new MissingDatabase(
        `The database of ${describeDatabase(c)} does not exist. Create it (createdb), then run \`credits migrate\`.`,
      );
    throw new MissingDatabase(`Cannot reach ${describeDatabase(c)}: ${(e as Error).message}`);
  }
  if (tables === 0) {
    await database.close();
    throw new MissingDatabase(`${describeDatabase(c)} has no tables of this service in its schema. ${create}`);
  }
  return database;
}

/** `commandConfig` and `openExisting` for command `name`: on a missing database, says so and exits 1. */
export async function openExistingDatabase(name: string): Promise<{ config: Config; database: Database }> {
  const config = commandConfig();
  try {
    return { config, database: await openExisting(config) };
  } catch (e) {
    if (!(e instanceof MissingDatabase)) throw e;
    console.error(`credits ${name}: ${e.message}`);
    process.exit(1);
  }
}
