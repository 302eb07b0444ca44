import { type ColumnBuilderCallback, type CreateTableBuilder, type Expression, type Kysely, type SqlBool, sql } from 'kysely';

/**
 * What the migrations share: their tables declared as data (a column's type and what its
 * definition adds, the column groups several tables declare alike, their indexes), and the
 * introspection a migration needs to run on both databases.
 *
 * These helpers only call Kysely's own builders in the order the columns are listed, so a
 * migration written with them sends the same DDL as the chain of `addColumn` calls it
 * replaced. They are frozen: a released migration must make the same schema forever, so a
 * helper it uses never changes what it declares (not a type, a default, a column's place in
 * a group). A new shape gets a new helper, under a new name; a helper no migration uses any
 * more may go. test/db/migrations-schema.test.ts compares the schema after each migration,
 * on SQLite and PostgreSQL, with the one recorded when it was released, and fails on any
 * difference.
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

/** The primary key, referencing another table's column (one row per user: `'users.id'`). */
export const primaryReference = (target: string): Column => ['text', (c) => c.primaryKey().references(target)];

/*
 * Column groups several tables declare alike, spread into a table's columns where they stand
 * (`{ ...ownedRow('user_id', 'users.id'), type: REQUIRED_TEXT, ...TIMESTAMPS }`): an object
 * keeps its keys in the order written, so the table gets the group's columns at that place.
 */
type Group = Readonly<Record<string, Column>>;

/** The text primary key `id`, then the row's owner: `owner`, required, referencing `target`. */
export const ownedRow = (owner: string, target: string): Group => Object.freeze({ id: ID, [owner]: requiredReference(target) });

/** When the row was made and last changed (epoch milliseconds), both required. */
export const TIMESTAMPS: Group = Object.freeze({ created_at: REQUIRED_BIGINT, updated_at: REQUIRED_BIGINT });

/** What a price applies to: the operation and its unit, both required. */
export const OPERATION_UNIT: Group = Object.freeze({ operation: REQUIRED_TEXT, unit: REQUIRED_TEXT });

/** An outbox row's state: its status, the attempts made (0 at first), when the next one is due. */
export const DELIVERY_STATE: Group = Object.freeze({
  status: REQUIRED_TEXT,
  attempts: withDefault('integer', 0),
  next_attempt_at: REQUIRED_BIGINT,
});

/** When an outbox row was queued (required) and delivered (null until then). */
export const DELIVERY_TIMES: Group = Object.freeze({ created_at: REQUIRED_BIGINT, delivered_at: BIGINT });

/**
 * `create table name` with `columns` in their order; `defineTable` adds the table's
 * constraints (a composite primary key, a unique pair) and executes it.
 */
function createTable(db: Kysely<unknown>, name: string, columns: Record<string, Column>) {
  // biome-ignore lint/suspicious/noExplicitAny: the column names are data here, not known to the builder's type
  let table: CreateTableBuilder<string, any> = db.schema.createTable(name);
  for (const [column, [type, define]] of Object.entries(columns)) {
    table = define ? table.addColumn(column, type, define) : table.addColumn(column, type);
  }
  return table;
}

/** An index made with its table: its columns in order, unique or not, and (a partial index) the rows it covers. */
export interface Index {
  columns: string[];
  unique?: true;
  where?: Expression<SqlBool>;
}

/**
 * A table as data: its columns in their order; its table constraints, by name (a composite
 * primary key, unique column sets); the indexes made right after it, by name, in order (a
 * plain index is its list of columns).
 */
export interface Table {
  columns: Record<string, Column>;
  /** At most one. */
  primaryKey?: Record<string, string[]>;
  unique?: Record<string, string[]>;
  indexes?: Record<string, string[] | Index>;
}

/**
 * `create table name` with its columns, its primary key and its unique constraints, then
 * `create index` for each of its indexes in the order written: the same DDL, in the same
 * order, as `createTable(...).addPrimaryKeyConstraint(...).addUniqueConstraint(...).execute()`
 * followed by one `createIndex` (or `createUniqueIndex`) a line, as migrations wrote it before.
 */
export async function defineTable(db: Kysely<unknown>, name: string, table: Table): Promise<void> {
  let create = createTable(db, name, table.columns);
  for (const [constraint, columns] of Object.entries(table.primaryKey ?? {})) create = create.addPrimaryKeyConstraint(constraint, columns);
  for (const [constraint, columns] of Object.entries(table.unique ?? {})) create = create.addUniqueConstraint(constraint, columns);
  await create.execute();
  for (const [index, declared] of Object.entries(table.indexes ?? {})) {
    const { columns, unique, where } = Array.isArray(declared) ? { columns: declared } : declared;
    let builder = db.schema.createIndex(index).on(name).columns(columns);
    if (unique) builder = builder.unique();
    if (where) builder = builder.where(where);
    await builder.execute();
  }
}

/** `defineTable` for each table, in the order they are listed (a table before those that reference it). */
export async function defineTables(db: Kysely<unknown>, tables: Record<string, Table>): Promise<void> {
  for (const [name, table] of Object.entries(tables)) await defineTable(db, name, table);
}

/** Adds `columns` to an existing table, one `alter table` each (SQLite adds one column at a time). */
export async function addColumns(db: Kysely<unknown>, table: string, columns: Record<string, Column>): Promise<void> {
  for (const [column, [type, define]] of Object.entries(columns)) {
    const alter = db.schema.alterTable(table);
    await (define ? alter.addColumn(column, type, define) : alter.addColumn(column, type)).execute();
  }
}

/** `create index name on table (columns)`. */
export async function createIndex(db: Kysely<unknown>, name: string, table: string, columns: string[]): Promise<void> {
  await db.schema.createIndex(name).on(table).columns(columns).execute();
}

/** `create unique index name on table (columns)`; rows whose columns are null do not collide, on both databases. */
export async function createUniqueIndex(db: Kysely<unknown>, name: string, table: string, columns: string[]): Promise<void> {
  await db.schema.createIndex(name).on(table).columns(columns).unique().execute();
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

/**
 * SQLite's table rebuild, for what ALTER TABLE cannot change: the table made again as `temp` from
 * its own CREATE statement as `define` rewrites it (the statement keeps the table's own name; the
 * rebuild gives it `temp`'s), its stored columns copied (generated ones are computed, not copied),
 * the old table dropped and the new one renamed, then its indexes and triggers made again (those
 * the CREATE statement makes itself have no sql of their own). Run with foreign keys off, which
 * SQLite only honours outside a transaction (019-accounts).
 */
export async function rebuildSqliteTable(
  db: Kysely<unknown>,
  table: string,
  temp: string,
  define: (created: string) => string,
): Promise<void> {
  const created = (await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = ${table}`.execute(db)).rows[0]
    ?.sql;
  if (!created) throw new Error(`no table ${table}`);
  const head = `CREATE TABLE "${table}" (`;
  const defined = define(created);
  if (!defined.startsWith(head)) throw new Error(`${table} is not as expected: ${created}`);
  const createNew = `CREATE TABLE "${temp}" (${defined.slice(head.length)}`;
  const dependents = (
    await sql<{ sql: string }>`select sql from sqlite_master
      where tbl_name = ${table} and type in ('index', 'trigger') and sql is not null order by type, name`.execute(db)
  ).rows.map((r) => r.sql);
  // Generated columns (hidden 2 or 3) are computed, not copied.
  const columns = (await sql<{ name: string; hidden: number }>`select name, hidden from pragma_table_xinfo(${table})`.execute(db)).rows
    .filter((c) => Number(c.hidden) === 0)
    .map((c) => `"${c.name}"`)
    .join(', ');
  await sql.raw(createNew).execute(db);
  await sql.raw(`INSERT INTO "${temp}" (${columns}) SELECT ${columns} FROM "${table}"`).execute(db);
  await sql.raw(`DROP TABLE "${table}"`).execute(db);
  await sql.raw(`ALTER TABLE "${temp}" RENAME TO "${table}"`).execute(db);
  for (const statement of dependents) await sql.raw(statement).execute(db);
}
