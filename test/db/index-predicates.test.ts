/**
 * Migration 023: on SQLite, writing a ledger row or changing a grant builds no temporary
 * b-tree (an `in (...)` list of constants in an index's WHERE or expression made each
 * execution build one), and the queries that read by those indexes still do, on both
 * databases.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SALES_PREDICATE, grantsSpendingOrder } from '../../src/db/migrations/023-index-predicates-without-in.js';
import { GRANT_IS_OPEN } from '../../src/db/migrations/026-grants-open-flag.js';
import { activeDialects } from '../support/db.js';
import { migratedDbForPlans } from '../support/query-plans.js';

describe.each(await activeDialects())('index predicates without in lists (%s)', (dialect) => {
  const planned = migratedDbForPlans(dialect);
  const plan = (query: string) => planned.plan(query);
  const db = () => planned.db;

  it.runIf(dialect === 'sqlite')('a ledger row’s insert and a grant’s update open no temporary b-tree', async () => {
    const opcodes = async (statement: string) => {
      const rows = await sql<{ opcode: string }>`explain ${sql.raw(statement)}`.execute(db());
      return rows.rows.map((r) => r.opcode);
    };
    const columns = (await sql<{ name: string }>`select name from pragma_table_info('credit_transactions')`.execute(db())).rows.map(
      (r) => r.name,
    );
    const insert = `insert into credit_transactions (${columns.join(', ')}) values (${columns.map(() => 'null').join(', ')})`;
    expect(await opcodes(insert)).not.toContain('OpenEphemeral');
    expect(
      await opcodes('update grants set remaining_mc = 1, reserved_mc = 0, expired_mc = 0, expired_at = null where id = 1'),
    ).not.toContain('OpenEphemeral');
  });

  it('the sales and the first open grant are read by their indexes', async () => {
    expect(
      await plan(`select sum(amount_mc) from credit_transactions where ${SALES_PREDICATE} and created_at >= 1 and created_at < 2`),
    ).toContain('credit_transactions_sales');
    const first = await plan(
      `select id from grants h where h.user_id = 'x' and h.${GRANT_IS_OPEN} order by ${grantsSpendingOrder(dialect === 'postgres')} limit 1`,
    );
    expect(first).toContain('grants_open');
    expect(first).not.toMatch(/TEMP B-TREE|Sort/);
  });
});
