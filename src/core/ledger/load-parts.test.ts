/**
 * readByIds: a read compiled once for each number of ids (on SQLite padded to a power of two),
 * then run as its text with other ids, through the query builder or on the raw connection.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../db/open.js';
import { type ReadScope, compiledOnce, oneOf, readByIds, rowMaker } from './load-parts.js';

const opened: Database[] = [];
afterEach(async () => {
  for (const d of opened.splice(0)) await d.close();
});

/** Both ways of reading one SQLite database: the query builder's, and the raw connection's. */
async function scopes(): Promise<{ builder: ReadScope; raw: ReadScope }> {
  const d = await openDatabase({ sqlitePath: ':memory:' });
  opened.push(d);
  await sql`create table t (id text primary key, n integer not null, note text)`.execute(d.db);
  await sql`insert into t (id, n, note) values ('a', 1, null), ('b', 2, 'two'), ('c', 3, 'three')`.execute(d.db);
  return { builder: { trx: d.db, dialect: 'sqlite' }, raw: { trx: d.db, dialect: 'sqlite', sqlite: d.sqlite } };
}

describe('readByIds', () => {
  for (const way of ['builder', 'raw'] as const) {
    it(`builds once per padded number of ids and reads the ids it is given each time (${way})`, async () => {
      const scope = (await scopes())[way];
      const sizes: number[] = [];
      const read = readByIds<{ id: string; n: number; note: string | null }>((trx, dialect, ids) => {
        sizes.push(ids.length);
        return sql`select id, n, note from t where ${oneOf(dialect, 'id', ids)} order by id`.compile(trx);
      });
      expect(await read(scope, ['a'])).toEqual([{ id: 'a', n: 1, note: null }]);
      expect(await read(scope, ['c'])).toEqual([{ id: 'c', n: 3, note: 'three' }]);
      expect(await read(scope, ['b', 'c'])).toEqual([
        { id: 'b', n: 2, note: 'two' },
        { id: 'c', n: 3, note: 'three' },
      ]);
      // Three ids are read as four (the last one twice): each row still comes once.
      expect(await read(scope, ['c', 'a', 'b'])).toEqual([
        { id: 'a', n: 1, note: null },
        { id: 'b', n: 2, note: 'two' },
        { id: 'c', n: 3, note: 'three' },
      ]);
      expect(await read(scope, ['a', 'b', 'x', 'c'])).toHaveLength(3);
      expect(sizes).toEqual([1, 2, 4]);
    });
  }

  it('gives the same rows, with the same keys in the same order, through the raw connection as through the query builder', async () => {
    const { builder, raw } = await scopes();
    const read = readByIds<Record<string, unknown>>((trx, dialect, ids) =>
      sql`select * from t where ${oneOf(dialect, 'id', ids)} order by id`.compile(trx),
    );
    const a = await read(builder, ['a', 'b', 'c']);
    const b = await read(raw, ['a', 'b', 'c']);
    expect(b).toEqual(a);
    expect(b.map((r) => Object.keys(r))).toEqual(a.map((r) => Object.keys(r)));
  });

  it('refuses a statement with parameters other than its ids', async () => {
    const { raw } = await scopes();
    const read = readByIds((trx, dialect, ids) => sql`select id from t where ${oneOf(dialect, 'id', ids)} and n > ${1}`.compile(trx));
    await expect(read(raw, ['a'])).rejects.toThrow(/parameters other than its ids/);
  });
});

describe('rowMaker', () => {
  it('makes objects of the values in column order; a repeated name keeps its last value; names are quoted', () => {
    expect(rowMaker(['a', 'b'])([1, 'x'])).toEqual({ a: 1, b: 'x' });
    expect(rowMaker(['id', 'id'])([1, 2])).toEqual({ id: 2 });
    const odd = rowMaker(['x"}; throw 1; //', 'y'])([1, 2]);
    expect(odd).toEqual({ 'x"}; throw 1; //': 1, y: 2 });
  });
});

describe('compiledOnce', () => {
  it("compiles once and puts each later call's lists where the first compile put them", async () => {
    const { builder } = await scopes();
    let built = 0;
    const make = compiledOnce((trx, [a, b]) => {
      built++;
      // b before a in the text: the parameters follow the text, not the lists.
      return sql`select ${b} as b, ${a} as a`.compile(trx);
    });
    const first = make(builder.trx, [['a1'], ['b1']]);
    expect(first.parameters).toEqual([['b1'], ['a1']]);
    const a2 = ['a2', 'a3'];
    const b2: string[] = [];
    const second = make(builder.trx, [a2, b2]);
    expect(second.sql).toBe(first.sql);
    expect(second.parameters[0]).toBe(b2);
    expect(second.parameters[1]).toBe(a2);
    expect(built).toBe(1);
  });

  it('refuses a statement with a parameter that is not one of its lists', async () => {
    const { builder } = await scopes();
    const make = compiledOnce((trx, [a]) => sql`select ${a} as a, ${1} as one`.compile(trx));
    expect(() => make(builder.trx, [['x']])).toThrow(/other than its id lists/);
  });
});
