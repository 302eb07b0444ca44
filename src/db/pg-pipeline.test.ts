/**
 * The writer's pipelined PostgreSQL connections (pg-pipeline.ts): `begin` goes out with the
 * first statement, a statement written ahead with the next one or `commit`, and a failure
 * surfaces in order: the transaction is rolled back and throws that statement's error, and
 * a connection lost between two sends throws a connection error with nothing committed.
 * The writer's batches on them: src/core/ledger/writer-pg-pipeline.test.ts. PostgreSQL only.
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openEmptyTestDb, postgresAvailable } from '../../test/support/db.js';
import { recordQueries } from '../../test/support/pg-queries.js';
import { isConnectionError } from './errors.js';
import type { PipelinedConnection, PipelinedPool } from './pg-pipeline.js';

describe.runIf(await postgresAvailable())('the writer’s pipelined PostgreSQL connections', () => {
  describe('a transaction on one connection', () => {
    let empty: Awaited<ReturnType<typeof openEmptyTestDb>>;
    let writer: PipelinedPool;
    beforeAll(async () => {
      empty = await openEmptyTestDb('postgres', { pgPoolSize: 2 });
      writer = empty.database.pgWriter as PipelinedPool;
      await sql`create table t (id int primary key)`.execute(empty.database.db);
    });
    afterAll(async () => {
      await empty?.dispose();
    });
    afterEach(async () => {
      await sql`delete from t`.execute(empty.database.db);
    });
    const ids = async () => (await sql<{ id: number }>`select id from t order by id`.execute(empty.database.db)).rows.map((r) => r.id);

    it('writes begin with the first statement and a statement written ahead with commit: two round trips', async () => {
      const rec = recordQueries();
      try {
        const out = await writer.transaction(async (trx, link) => {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from t`.execute(trx);
          link.writeAhead();
          await sql`insert into t values (1), (2)`.execute(trx);
          return rows[0]?.n;
        });
        expect(out).toBe(0);
      } finally {
        rec.stop();
      }
      expect(rec.sent.map((s) => [s.text.split(' ')[0], s.withEarlier])).toEqual([
        ['begin', false],
        ['select', true],
        ['insert', false],
        ['commit', true],
      ]);
      expect(await ids()).toEqual([1, 2]);
    });

    it('prepares a statement once per connection and runs it again by name in later transactions (PG_PREPARED_WRITES)', async () => {
      const plans = async () =>
        writer.transaction(async (trx) => {
          await sql`select count(*)::int as n from t where id > ${0}`.execute(trx);
          const { rows } = await sql<{ statement: string; runs: number }>`
            select statement, (generic_plans + custom_plans)::int as runs from pg_prepared_statements
            where statement = 'select count(*)::int as n from t where id > $1'`.execute(trx);
          return rows;
        });
      await plans();
      await plans();
      // One connection served both (the pool keeps the idle one): one prepared statement, run twice.
      expect(await plans()).toEqual([{ statement: 'select count(*)::int as n from t where id > $1', runs: 3 }]);
    });

    it('with PG_PREPARED_WRITES off, sends every statement unnamed', async () => {
      const off = await openEmptyTestDb('postgres', { pgPoolSize: 2, pgPreparedWrites: false });
      try {
        const prepared = await (off.database.pgWriter as PipelinedPool).transaction(async (trx) => {
          await sql`select 1 as one`.execute(trx);
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(trx);
          return rows[0]?.n;
        });
        expect(prepared).toBe(0);
      } finally {
        await off.dispose();
      }
    });

    it('throws the error of a statement written ahead, rolls back, and serves the next transaction', async () => {
      const failed = writer.transaction(async (trx, link) => {
        await sql`insert into t values (1)`.execute(trx);
        link.writeAhead();
        // Answered at once; the duplicate key surfaces at the commit, which Postgres answers ROLLBACK.
        await sql`insert into t values (1)`.execute(trx);
        return 'returned';
      });
      await expect(failed).rejects.toMatchObject({ code: '23505' });
      expect(await ids()).toEqual([]);
      await writer.transaction(async (trx, link) => {
        link.writeAhead();
        await sql`insert into t values (2)`.execute(trx);
      });
      expect(await ids()).toEqual([2]);
    });

    it('a statement that fails after one written ahead throws the first failure, in order', async () => {
      const failed = writer.transaction(async (trx, link) => {
        link.writeAhead();
        await sql`insert into t values (1), (1)`.execute(trx);
        // Runs in the aborted transaction (25P02); the error reported is the write's.
        await sql`insert into t values (3)`.execute(trx);
      });
      await expect(failed).rejects.toMatchObject({ code: '23505' });
      expect(await ids()).toEqual([]);
    });

    it('a connection lost between the two sends fails with a connection error and commits nothing', async () => {
      const failed = writer.transaction(async (trx, link) => {
        await sql`select 1`.execute(trx);
        // The socket dies after the first round trip, before the write and commit go out.
        const { client } = link as PipelinedConnection;
        (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        link.writeAhead();
        await sql`insert into t values (1)`.execute(trx);
      });
      const e = await failed.catch((err: unknown) => err);
      expect(isConnectionError(e)).toBe(true);
      expect(await ids()).toEqual([]);
      // The broken client was dropped: the next transaction has a working one.
      await writer.transaction(async (trx, link) => {
        link.writeAhead();
        await sql`insert into t values (4)`.execute(trx);
      });
      expect(await ids()).toEqual([4]);
    });
  });
});
