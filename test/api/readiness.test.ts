/**
 * `GET /health/ready` says ok only when the database answers and holds this release's
 * schema. A database dropped and made again empty answers `select 1`; every request would
 * fail on it, so the probe says 503 `unmigrated` and a load balancer routes elsewhere.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

describe.each(await activeDialects())('the readiness probe on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => s?.stop());

  it('is ok on a migrated database, 503 unmigrated without the schema, ok again once migrated', async () => {
    const ready = async () => {
      const res = await fetch(`${s.url}/health/ready`);
      return {
        status: res.status,
        body: (await res.json()) as { status: string; database: string },
        retry: res.headers.get('retry-after'),
      };
    };
    expect(await ready()).toMatchObject({ status: 200, body: { status: 'ok', database: dialect } });

    const db = s.running.core.database.db;
    const rows = await sql<{ name: string; timestamp: string }>`select name, timestamp from kysely_migration`.execute(db);
    const newest = rows.rows
      .map((r) => r.name)
      .sort()
      .at(-1) as string;
    const kept = rows.rows.find((r) => r.name === newest);
    // The newest migration missing: an older schema (or a half-made one).
    await sql`delete from kysely_migration where name = ${newest}`.execute(db);
    expect(await ready()).toMatchObject({ status: 503, body: { status: 'unmigrated', database: dialect }, retry: '1' });
    // No bookkeeping table at all: an empty database.
    await sql`alter table kysely_migration rename to kysely_migration_away`.execute(db);
    expect(await ready()).toMatchObject({ status: 503, body: { status: 'unmigrated' } });
    await sql`alter table kysely_migration_away rename to kysely_migration`.execute(db);
    await sql`insert into kysely_migration (name, timestamp) values (${newest}, ${kept?.timestamp})`.execute(db);
    expect(await ready()).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
