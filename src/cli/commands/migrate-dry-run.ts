/** `credits migrate --dry-run`: the migrations that would run, without running them or creating anything. */
import { existsSync } from 'node:fs';
import type { Config } from '../../config.js';
import { migrationStatus } from '../../db/migrate.js';
import { openConfiguredDatabase } from '../../main.js';
import { describeDatabase as where } from '../open-existing.js';

export async function migrateDryRun(c: Config): Promise<void> {
  if (!c.databaseUrl && !existsSync(c.sqlitePath)) {
    console.log(`${where(c)} does not exist yet: every migration would run`);
  }
  // An absent SQLite file is not created: the status of an empty in-memory database says the same.
  const database = await openConfiguredDatabase(c.databaseUrl || existsSync(c.sqlitePath) ? c : { ...c, sqlitePath: ':memory:' });
  try {
    const s = await migrationStatus(database.db);
    for (const name of s.pending) console.log(`would apply ${name}`);
    if (s.unknown.length > 0) {
      console.log(`the database also has migrations of a newer release: ${s.unknown.join(', ')} (this release runs on it unchanged)`);
    }
    if (s.pending.length === 0) console.log(`${where(c)}: nothing to apply (${s.applied.length} migration(s) applied)`);
  } finally {
    await database.close();
  }
}
