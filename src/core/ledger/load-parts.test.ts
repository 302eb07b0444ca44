/** readByIds: a read compiled once for each number of ids, then run as its text with other ids. */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../db/open.js';
import { oneOf, readByIds } from './load-parts.js';

const opened: Database[] = [];
afterEach(async () => {
  for (const d of opened.splice(0)) await d.close();
});

async function db() {
  const d = await openDatabase({ sqlitePath: ':memory:' });
  opened.push(d);
  await sql`create table t (id text primary key, n integer not null)`.execute(d.db);
  await sql`insert into t (id, n) values ('a', 1), ('b', 2), ('c', 3)`.execute(d.db);
  return d.db as never;
}

describe('readByIds', () => {
  it('builds once per number of ids and reads the ids it is given each time', async () => {
    const k = await db();
    let built = 0;
    const read = readByIds<{ id: string; n: number }>((trx, dialect, ids) => {
      built++;
      return sql`select id, n from t where ${oneOf(dialect, 'id', ids)} order by id`.compile(trx);
    });
    expect(await read(k, 'sqlite', ['a'])).toEqual([{ id: 'a', n: 1 }]);
    expect(await read(k, 'sqlite', ['c'])).toEqual([{ id: 'c', n: 3 }]);
    expect(await read(k, 'sqlite', ['b', 'c'])).toEqual([
      { id: 'b', n: 2 },
      { id: 'c', n: 3 },
    ]);
    expect(await read(k, 'sqlite', ['a', 'b'])).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ]);
    expect(built).toBe(2);
  });

  it('refuses a statement with parameters other than its ids', async () => {
    const k = await db();
    const read = readByIds((trx, dialect, ids) => sql`select id from t where ${oneOf(dialect, 'id', ids)} and n > ${1}`.compile(trx));
    await expect(read(k, 'sqlite', ['a'])).rejects.toThrow(/parameters other than its ids/);
  });
});
