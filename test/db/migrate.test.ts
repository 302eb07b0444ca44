/**
 * A database migrated by a newer release (an older instance restarting during a rolling
 * upgrade) starts unchanged, on both dialects. Several instances starting at the same moment on one fresh PostgreSQL schema: each
 * migrates and seeds; the migrations run once, the seed rows exist once, and every
 * instance starts. `credits migrate --dry-run` lists what would run and changes nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateToLatest, migrationStatus, pendingMigrations } from '../../src/db/migrate.js';
import { openDatabase } from '../../src/db/open.js';
import { seed } from '../../src/db/seed.js';
import { activeDialects, createTestDb, postgresAvailable, TEST_PG_URL } from '../support/db.js';
import { nodeArgs } from '../support/entries.js';

const run = promisify(execFile);
const INSTANCES = 12;
const PROCESSES = 6;
/** The race is a matter of timing: a few rounds make the old code's failure show every time. */
const ROUNDS = 5;

async function freshSchema(): Promise<string> {
  const schema = `mig_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  await c.query(`create schema ${schema}`);
  await c.end();
  return schema;
}

async function dropSchema(schema: string) {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  await c.query(`drop schema if exists ${schema} cascade`);
  await c.end();
}

describe.runIf(await postgresAvailable())('migrations on PostgreSQL when several instances start at once', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const s of schemas) await dropSchema(s);
  });

  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(
    `round %i: ${INSTANCES} connections migrate and seed one fresh schema at the same moment: each migration once, every seed row once`,
    async () => {
      const schema = await freshSchema();
      schemas.push(schema);
      const dbs = await Promise.all(
        Array.from({ length: INSTANCES }, () => openDatabase({ databaseUrl: TEST_PG_URL, pgSchema: schema, pgPoolSize: 2 })),
      );
      try {
        const results = await Promise.allSettled(
          dbs.map(async (d) => ({ applied: await migrateToLatest(d.db), seeded: await seed(d.db) })),
        );
        const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
        expect(failed).toEqual([]);
        const applied = results.map((r) => (r as PromiseFulfilledResult<{ applied: string[] }>).value.applied);
        // One instance ran them all; the others found nothing to do.
        expect(applied.filter((a) => a.length > 0)).toHaveLength(1);
        const db = dbs[0]!.db;
        const names = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
        expect(names.rows.map((r) => r.name)).toEqual(applied.find((a) => a.length > 0));
        const rules = await sql<{ n: number }>`select count(*)::int as n from credit_pricing`.execute(db);
        const packages = await sql<{ n: number }>`select count(*)::int as n from credit_packages`.execute(db);
        expect(rules.rows[0]?.n).toBe(16);
        expect(packages.rows[0]?.n).toBe(5);
        expect(await pendingMigrations(db)).toEqual([]);
      } finally {
        await Promise.all(dbs.map((d) => d.close()));
      }
    },
  );

  it(`${PROCESSES} processes run \`credits migrate\` on one fresh schema at once; \`--dry-run\` lists and changes nothing`, {
    timeout: 120_000,
  }, async () => {
    const schema = await freshSchema();
    schemas.push(schema);
    const url = `${TEST_PG_URL}${TEST_PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const env = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' };
    const cli = [process.execPath, ...nodeArgs('src/cli/main.ts')] as const;
    const dry = await run(cli[0], [...cli.slice(1), 'migrate', '--dry-run'], { env });
    expect(dry.stdout).toMatch(/would apply 001-initial/);
    // Nothing was written: no bookkeeping table, no table of ours.
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    const tables = await c.query('select count(*)::int as n from information_schema.tables where table_schema = $1', [schema]);
    expect(tables.rows[0].n).toBe(0);
    const outs = await Promise.all(Array.from({ length: PROCESSES }, () => run(cli[0], [...cli.slice(1), 'migrate'], { env })));
    expect(outs.filter((o) => /applied: 001-initial/.test(o.stdout))).toHaveLength(1);
    expect(outs.filter((o) => /up to date/.test(o.stdout))).toHaveLength(PROCESSES - 1);
    const migrated = await c.query(
      "select count(*)::int as n from information_schema.tables where table_schema = $1 and table_name = 'kysely_migration'",
      [schema],
    );
    expect(migrated.rows[0].n).toBe(1);
    const again = await run(cli[0], [...cli.slice(1), 'migrate', '--dry-run'], { env });
    expect(again.stdout).toMatch(/nothing to apply/);
    await c.end();
  });
});

describe.each(await activeDialects())('a database migrated by a newer release (%s)', (dialect) => {
  it('is left as it is: an older instance starts on it, and a gap is refused', async () => {
    const t = await createTestDb(dialect);
    try {
      const db = t.database.db;
      await sql`insert into kysely_migration (name, timestamp) values ('999-from-the-future', ${new Date().toISOString()})`.execute(db);
      expect(await migrateToLatest(db)).toEqual([]);
      const status = await migrationStatus(db);
      expect(status.unknown).toEqual(['999-from-the-future']);
      expect(status.pending).toEqual([]);
      // One of this release's own migrations missing as well: not a newer release of the same line.
      await sql`delete from kysely_migration where name = '005-alert-deliveries'`.execute(db);
      await expect(migrateToLatest(db)).rejects.toThrow(/does not know \(999-from-the-future\)/);
    } finally {
      await t.dispose();
    }
  });
});
