/**
 * Released migrations make the same schema forever. A fresh database of each dialect is
 * migrated one migration at a time, in the order they run, and its whole schema is read
 * after each one and compared with test/fixtures/schema/<dialect>.txt; a second fresh
 * database migrated by one `migrateToLatest` must end at the last of those schemas.
 *
 * The schema, one line per fact, sorted:
 * - SQLite: every sqlite_master row (its `sql` with runs of white space made one space),
 *   each table's PRAGMA table_xinfo (generated columns too), index_list with each index's
 *   key columns (index_xinfo), and foreign_key_list;
 * - PostgreSQL: information_schema.tables and .columns (type, default, nullability,
 *   generation), pg_indexes, every constraint (pg_get_constraintdef) and trigger; the test's
 *   schema name is taken out.
 * Kysely's own bookkeeping tables (kysely_migration, kysely_migration_lock) are left out.
 *
 * The fixture holds, per migration, what it changed: `- ` a line it removed, `+ ` one it
 * added. A change to a released migration, or to a helper it calls, that changes the DDL it
 * sends fails here on the migration's own section.
 *
 * A new migration: run this file once with SCHEMA_SNAPSHOT_APPEND=1 (not under CI=true),
 * on both databases (TEST_DATABASE_URL set), and commit the sections it appended. Appending
 * never rewrites the section of a migration already in the file: a difference there fails
 * as it would without it.
 *
 * The PRAGMA and catalogue lines are as the database reports them (SQLite's table_xinfo
 * writes TEXT and INTEGER in capitals, bigint as declared): an upgrade of SQLite or
 * PostgreSQL that only reports the same schema differently fails here too. Then the `sql`
 * lines (SQLite) and constraint definitions must be unchanged; re-record the whole file
 * (delete it, run with SCHEMA_SNAPSHOT_APPEND=1) in a commit of its own that says so.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, pendingMigrations } from '../../src/db/migrate.js';
import type { Dialect } from '../../src/db/open.js';
import type { DB } from '../../src/db/schema.js';
import { activeDialects, openEmptyTestDb } from '../support/db.js';

const fixture = (dialect: Dialect) => fileURLToPath(new URL(`../fixtures/schema/${dialect}.txt`, import.meta.url));
const APPEND = process.env.SCHEMA_SNAPSHOT_APPEND === '1' && !process.env.CI;

interface Fresh {
  db: Kysely<DB>;
  dispose(): Promise<void>;
}

/** An empty database: no migration, no seed. */
async function freshDatabase(dialect: Dialect): Promise<Fresh> {
  const { database, dispose } = await openEmptyTestDb(dialect, { synchronous: 'OFF', pgPoolSize: 2 });
  return { db: database.db, dispose };
}

const oneLine = (s: string | null) => (s === null ? 'null' : s.replace(/\s+/g, ' ').trim());
const ours = (table: string) => !table.startsWith('kysely_');

async function sqliteSchema(db: Kysely<DB>): Promise<string[]> {
  const lines: string[] = [];
  const objects = (
    await sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`
      select type, name, tbl_name, sql from sqlite_master`.execute(db)
  ).rows.filter((o) => ours(o.tbl_name));
  for (const o of objects) lines.push(`sql ${o.type} ${o.tbl_name}.${o.name}: ${oneLine(o.sql)}`);
  for (const { name: table } of objects.filter((o) => o.type === 'table')) {
    const columns = (
      await sql<{ cid: number; name: string; type: string; notnull: number; dflt_value: string | null; pk: number; hidden: number }>`
        select * from pragma_table_xinfo(${table})`.execute(db)
    ).rows;
    for (const c of columns) {
      lines.push(
        `column ${table}.${c.name}: #${c.cid} ${c.type} notnull=${c.notnull} default=${oneLine(c.dflt_value)} pk=${c.pk} hidden=${c.hidden}`,
      );
    }
    const indexes = (
      await sql<{ name: string; unique: number; origin: string; partial: number }>`select * from pragma_index_list(${table})`.execute(db)
    ).rows;
    for (const i of indexes) {
      const keys = (
        await sql<{ seqno: number; name: string | null; desc: number; coll: string; key: number }>`
          select * from pragma_index_xinfo(${i.name})`.execute(db)
      ).rows
        .filter((k) => k.key === 1)
        .sort((a, b) => a.seqno - b.seqno)
        .map((k) => `${k.name ?? '<expression>'}${k.desc ? ' desc' : ''} collate ${k.coll}`);
      lines.push(`index ${table}.${i.name}: unique=${i.unique} origin=${i.origin} partial=${i.partial} (${keys.join(', ')})`);
    }
    const keys = (
      await sql<{
        id: number;
        seq: number;
        table: string;
        from: string;
        to: string | null;
        on_update: string;
        on_delete: string;
        match: string;
      }>`
        select * from pragma_foreign_key_list(${table})`.execute(db)
    ).rows;
    for (const k of keys) {
      lines.push(
        `foreign key ${table}#${k.id}.${k.seq}: (${k.from}) references ${k.table}(${k.to}) on update ${k.on_update} on delete ${k.on_delete} match ${k.match}`,
      );
    }
  }
  return lines;
}

async function postgresSchema(db: Kysely<DB>): Promise<string[]> {
  const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s;
  const unqualify = (s: string | null) => oneLine(s).split(`${schema}.`).join('');
  const lines: string[] = [];
  const tables = (
    await sql<{ table_name: string; table_type: string }>`
      select table_name, table_type from information_schema.tables where table_schema = current_schema()`.execute(db)
  ).rows;
  for (const t of tables.filter((t) => ours(t.table_name))) lines.push(`table ${t.table_name}: ${t.table_type}`);
  const columns = (
    await sql<{
      table_name: string;
      column_name: string;
      ordinal_position: number;
      data_type: string;
      character_maximum_length: number | null;
      numeric_precision: number | null;
      collation_name: string | null;
      column_default: string | null;
      is_nullable: string;
      is_generated: string;
      generation_expression: string | null;
      is_identity: string;
    }>`
      select table_name, column_name, ordinal_position, data_type, character_maximum_length, numeric_precision, collation_name,
        column_default, is_nullable, is_generated, generation_expression, is_identity
      from information_schema.columns where table_schema = current_schema()`.execute(db)
  ).rows;
  for (const c of columns.filter((c) => ours(c.table_name))) {
    lines.push(
      `column ${c.table_name}.${c.column_name}: #${c.ordinal_position} ${c.data_type} length=${c.character_maximum_length} ` +
        `precision=${c.numeric_precision} collation=${c.collation_name} default=${unqualify(c.column_default)} nullable=${c.is_nullable} ` +
        `generated=${c.is_generated} expression=${unqualify(c.generation_expression)} identity=${c.is_identity}`,
    );
  }
  const indexes = (
    await sql<{ tablename: string; indexname: string; indexdef: string }>`
      select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema()`.execute(db)
  ).rows;
  for (const i of indexes.filter((i) => ours(i.tablename))) lines.push(`index ${i.tablename}.${i.indexname}: ${unqualify(i.indexdef)}`);
  const constraints = (
    await sql<{ table: string; name: string; type: string; definition: string }>`
      select t.relname as "table", c.conname as name, c.contype as type, pg_get_constraintdef(c.oid) as definition
      from pg_constraint c join pg_class t on t.oid = c.conrelid join pg_namespace n on n.oid = c.connamespace
      where n.nspname = current_schema()`.execute(db)
  ).rows;
  for (const c of constraints.filter((c) => ours(c.table))) {
    lines.push(`constraint ${c.table}.${c.name}: (${c.type}) ${unqualify(c.definition)}`);
  }
  const triggers = (
    await sql<{ table: string; name: string; definition: string }>`
      select c.relname as "table", t.tgname as name, pg_get_triggerdef(t.oid) as definition
      from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and not t.tgisinternal`.execute(db)
  ).rows;
  for (const t of triggers.filter((t) => ours(t.table))) lines.push(`trigger ${t.table}.${t.name}: ${unqualify(t.definition)}`);
  return lines;
}

async function schemaOf(dialect: Dialect, db: Kysely<DB>): Promise<string[]> {
  const lines = dialect === 'sqlite' ? await sqliteSchema(db) : await postgresSchema(db);
  const sorted = [...lines].sort();
  const repeated = sorted.filter((l, i) => sorted[i - 1] === l);
  if (repeated.length > 0) throw new Error(`a schema line stands twice: ${repeated.join('; ')}`);
  return sorted;
}

/** Each migration's section of a fixture: the lines it removed and added, in the order they run. */
type Sections = { name: string; removed: string[]; added: string[] }[];

function readFixture(path: string): Sections {
  if (!existsSync(path)) return [];
  const sections: Sections = [];
  for (const [n, line] of readFileSync(path, 'utf8').split('\n').entries()) {
    if (line === '' || line.startsWith('#')) continue;
    const current = sections.at(-1);
    if (line.startsWith('@@ ')) sections.push({ name: line.slice(3), removed: [], added: [] });
    else if (current && line.startsWith('- ')) current.removed.push(line.slice(2));
    else if (current && line.startsWith('+ ')) current.added.push(line.slice(2));
    else throw new Error(`${path}:${n + 1}: not a section (@@), a removed (- ) or an added (+ ) line: ${line}`);
  }
  return sections;
}

/** What a migration changed: the lines of the schema before it that are gone, and the new ones. */
function changes(before: string[], after: string[]): { removed: string[]; added: string[] } {
  const was = new Set(before);
  const is = new Set(after);
  return { removed: before.filter((l) => !is.has(l)).sort(), added: after.filter((l) => !was.has(l)).sort() };
}

function section(name: string, before: string[], after: string[]): string {
  const { removed, added } = changes(before, after);
  const lines = [...removed.map((l) => ['-', l]), ...added.map((l) => ['+', l])];
  lines.sort(([s1, l1], [s2, l2]) => (l1! < l2! ? -1 : l1! > l2! ? 1 : s1! < s2! ? -1 : 1));
  return [`@@ ${name}`, ...lines.map(([s, l]) => `${s} ${l}`)].join('\n');
}

/** The schema after each migration of `sections`, from the empty one. */
function replay(sections: Sections): Map<string, string[]> {
  const states = new Map<string, string[]>();
  let state = new Set<string>();
  for (const s of sections) {
    state = new Set(state);
    for (const l of s.removed) state.delete(l);
    for (const l of s.added) state.add(l);
    states.set(s.name, [...state].sort());
  }
  return states;
}

const HEADER = `# The schema a fresh database has after each migration, in the order they run: what each one
# removed (- ) and added (+ ). Checked by test/db/migrations-schema.test.ts, which says how to
# add a new migration's section. Released migrations never change: nor do their sections.
`;

describe.each(await activeDialects())('the schema released migrations make (%s)', (dialect) => {
  const path = fixture(dialect);
  const names: string[] = [];
  const actual = new Map<string, string[]>();
  let whole: string[] = [];
  let expected = new Map<string, string[]>();
  let recorded: Sections = [];

  beforeAll(async () => {
    const step = await freshDatabase(dialect);
    try {
      names.push(...(await pendingMigrations(step.db)));
      for (const [i, name] of names.entries()) {
        expect(await migrateToLatest(step.db, { only: names.slice(0, i + 1) })).toEqual([name]);
        actual.set(name, await schemaOf(dialect, step.db));
      }
    } finally {
      await step.dispose();
    }
    const once = await freshDatabase(dialect);
    try {
      expect(await migrateToLatest(once.db)).toEqual(names);
      whole = await schemaOf(dialect, once.db);
    } finally {
      await once.dispose();
    }
    recorded = readFixture(path);
    if (APPEND) {
      const have = recorded.map((s) => s.name);
      if (have.join() !== names.slice(0, have.length).join()) {
        throw new Error(`${path} lists ${have.join(', ')}: not the first of this release's migrations (${names.join(', ')})`);
      }
      const last = replay(recorded).get(have.at(-1) ?? '') ?? [];
      const added = names
        .slice(have.length)
        .map((name, i, rest) => section(name, i === 0 ? last : actual.get(rest[i - 1]!)!, actual.get(name)!));
      if (added.length > 0) {
        mkdirSync(dirname(path), { recursive: true });
        const before = existsSync(path) ? readFileSync(path, 'utf8') : HEADER;
        writeFileSync(path, `${before}${added.join('\n')}\n`);
        recorded = readFixture(path);
      }
    }
    expected = replay(recorded);
  });

  it('the fixture has a section for every migration, in the order they run', () => {
    expect(recorded.map((s) => s.name)).toEqual(names);
  });

  // The sections the fixture holds, known before the database is read. Comparing what each
  // migration changed names the one whose DDL moved; from the empty schema, the same changes
  // make the same schema after every migration.
  it.each(readFixture(path).map((s) => s.name))('%s changes the schema as recorded', (name) => {
    const i = names.indexOf(name);
    expect(i, `${name} is not a migration of this release`).toBeGreaterThanOrEqual(0);
    const was = i === 0 ? [] : actual.get(names[i - 1]!)!;
    const recordedSection = recorded.find((s) => s.name === name)!;
    expect(changes(was, actual.get(name)!)).toEqual({
      removed: [...recordedSection.removed].sort(),
      added: [...recordedSection.added].sort(),
    });
  });

  it('one migrateToLatest on a fresh database ends at the last recorded schema', () => {
    expect(whole).toEqual(expected.get(names.at(-1)!));
  });
});
