import { type ColumnBuilderCallback, type CreateTableBuilder, type Expression, type Kysely, sql } from 'kysely';

/**
 * What the migrations share: their tables declared as data (a column's type and what its
 * definition adds), and the introspection a migration needs to run on both databases.
 *
 * These helpers only call Kysely's own builders in the order the columns are listed, so a
 * migration written with them sends the same DDL as the chain of `addColumn` calls it
 * replaced. A released migration must keep sending the same DDL: compare the schema a fresh
 * database gets on both dialects before and after changing anything here.
 */

/** A column: its type and, optionally, what its definition adds (not null, default, check, ...). */
export type Column = readonly [type: DataType, define?: ColumnBuilderCallback];

/** The types the schema uses: text, and integers (bigint for amounts and times). */
type DataType = 'text' | 'bigint' | 'integer';

const notNull: ColumnBuilderCallback = (c) => c.notNull();

/** The text primary key most tables have. */
export const ID: Column = ['text', (c) => c.primaryKey()];
export const TEXT: Column = ['text'];
export const REQUIRED_TEXT: Column = ['text', notNull];
/** Required and unique (emails, token hashes, codes). */
export const UNIQUE_TEXT: Column = ['text', (c) => c.notNull().unique()];
/** Amounts (millicredits, cents), quantities and times (epoch milliseconds). */
export const BIGINT: Column = ['bigint'];
export const REQUIRED_BIGINT: Column = ['bigint', notNull];
export const INTEGER: Column = ['integer'];
export const REQUIRED_INTEGER: Column = ['integer', notNull];

/** Required, with a default. */
export const withDefault = (type: DataType, value: string | number): Column => [type, (c) => c.notNull().defaultTo(value)];

/** Required, referencing another table's column (`'users.id'`). */
export const requiredReference = (target: string): Column => ['text', (c) => c.notNull().references(target)];

/** Required, with a check (`sql\`amount_mc >= 0\``). */
export const checked = (type: DataType, check: Expression<unknown>): Column => [type, (c) => c.notNull().check(check)];

/**
 * `create table name` with `columns` in their order; the caller adds table constraints (a
 * composite primary key, a unique pair) and executes it.
 */
export function createTable(db: Kysely<unknown>, name: string, columns: Record<string, Column>) {
  // biome-ignore lint/suspicious/noExplicitAny: the column names are data here, not known to the builder's type
  let table: CreateTableBuilder<string, any> = db.schema.createTable(name);
  for (const [column, [type, define]] of Object.entries(columns)) {
    table = define ? table.addColumn(column, type, define) : table.addColumn(column, type);
  }
  return table;
}

/** Adds `columns` to an existing table, one `alter table` each (SQLite adds one column at a time). */
export async function addColumns(db: Kysely<unknown>, table: string, columns: Record<string, Column>): Promise<void> {
  for (const [column, [type, define]] of Object.entries(columns)) {
    const alter = db.schema.alterTable(table);
    await (define ? alter.addColumn(column, type, define) : alter.addColumn(column, type)).execute();
  }
}

/** The `down` of a migration that cannot be undone (restore from a backup instead). */
export async function notReversible(): Promise<void> {
  throw new Error('Not reversible.');
}

/** Whether the migration runs on PostgreSQL (SQLite has no `current_schema()`). */
export function isPostgres(db: Kysely<unknown>): Promise<boolean> {
  return sql`select current_schema() as s`.execute(db).then(
    () => true,
    () => false,
  );
}

/** Whether `table` has `column` (in the current schema on PostgreSQL). */
export async function hasColumn(db: Kysely<unknown>, table: string, column: string): Promise<boolean> {
  if (await isPostgres(db)) {
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from information_schema.columns where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`.execute(
      db,
    );
    return Number(r.rows[0]?.n ?? 0) > 0;
  }
  const r = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  return r.rows.some((c) => c.name === column);
}
