/**
 * Closing a database is idempotent on both dialects: a second close (a test's dispose after
 * the code under test closed it, a shutdown path reached twice) resolves and does nothing.
 * PostgreSQL's writer pool (pg-pool) throws on a second `end`; CI at f6fe1e1 failed there.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { activeDialects, openEmptyTestDb } from '../support/db.js';

describe.each(await activeDialects())('closing a %s database', (dialect) => {
  it('twice, and concurrently, resolves', async () => {
    const t = await openEmptyTestDb(dialect);
    const { database } = t;
    expect((await sql<{ one: number }>`select 1 as one`.execute(database.db)).rows).toEqual([{ one: 1 }]);
    await Promise.all([database.close(), database.close()]);
    await database.close();
    // dispose closes once more, then drops the schema or the file.
    await t.dispose();
  });
});
