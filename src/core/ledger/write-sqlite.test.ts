/**
 * The SQLite writer's multi-row inserts (write-sqlite.ts): every row, in its order, whatever
 * the number of rows and however the rows' defined keys alternate; a constraint failure fails
 * the statement with SQLite's error and the transaction as a whole.
 */
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withStatementCache } from '../../db/open.js';
import { insertColumns, insertEach } from './write-sqlite.js';

let raw: ReturnType<typeof withStatementCache>;
let db: SQLite.Database;

beforeEach(() => {
  db = new SQLite(':memory:');
  db.exec("create table t (id text primary key, a integer, b text default 'dflt', c integer not null default 7)");
  db.exec('create table u (k text primary key, n integer not null)');
  raw = withStatementCache(db);
});
afterEach(() => raw.close());

const rows = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => {
    const j = from + i;
    // Key sets alternate in runs of varying length: {id, a}, {id, a, b}, {id, b, c} (a undefined).
    const kind = Math.floor(j / 3) % 3;
    if (kind === 0) return { id: `r${j}`, a: j };
    if (kind === 1) return { id: `r${j}`, a: j, b: j % 2 ? null : `b${j}` };
    return { id: `r${j}`, a: undefined, b: `b${j}`, c: -j };
  });

const expected = (n: number) => rows(n).map((r) => ({ id: r.id, a: r.a ?? null, b: 'b' in r ? r.b : 'dflt', c: 'c' in r ? r.c : 7 }));

describe('the SQLite writer: multi-row inserts', () => {
  for (const n of [0, 1, 2, 3, 31, 32, 33, 64, 100, 257]) {
    it(`writes ${n} rows of mixed key sets, each as given, in order`, () => {
      insertEach(raw, 't', rows(n));
      expect(db.prepare('select id, a, b, c from t order by rowid').all()).toEqual(expected(n));
    });
  }

  it('writes the rows of one key set in chunks of at most 32 (the same rows as one by one)', () => {
    const same = Array.from({ length: 75 }, (_, i) => ({ id: `s${i}`, a: i, b: `x${i}`, c: i * 2 }));
    insertEach(raw, 't', same);
    expect(db.prepare('select id, a, b, c from t order by rowid').all()).toEqual(same);
  });

  it('reads only the named columns with insertColumns, and applies the suffix to every row', () => {
    const add = 'on conflict (k) do update set n = u.n + excluded.n';
    insertColumns(
      raw,
      'u',
      ['k', 'n'],
      [
        { k: 'x', n: 1, extra: 'ignored' },
        { k: 'y', n: 2 },
      ],
      ` ${add}`,
    );
    insertColumns(
      raw,
      'u',
      ['k', 'n'],
      [
        { k: 'y', n: 10 },
        { k: 'z', n: 3 },
        { k: 'x', n: 100 },
      ],
      ` ${add}`,
    );
    expect(db.prepare('select k, n from u order by k').all()).toEqual([
      { k: 'x', n: 101 },
      { k: 'y', n: 12 },
      { k: 'z', n: 3 },
    ]);
  });

  it('fails a statement on a constraint with SQLite error, and the transaction with it', () => {
    insertEach(raw, 't', [{ id: 'r5', a: 0 }]);
    const batch = db.transaction(() => insertEach(raw, 't', rows(40)));
    let error: unknown;
    try {
      batch();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SQLite.SqliteError);
    expect((error as { code?: string }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect((error as Error).message).toBe('UNIQUE constraint failed: t.id');
    expect(db.prepare('select id from t').all()).toEqual([{ id: 'r5' }]);
  });

  it('fails on a duplicate within one statement as one row at a time would', () => {
    const dup = [...rows(10), { id: 'r3', a: 1 }];
    expect(() => db.transaction(() => insertEach(raw, 't', dup))()).toThrow('UNIQUE constraint failed: t.id');
    expect(db.prepare('select count(*) as n from t').get()).toEqual({ n: 0 });
  });

  it('keeps a table of many columns within the parameter limit (999)', () => {
    const cols = Array.from({ length: 40 }, (_, i) => `c${i}`);
    db.exec(`create table w (${cols.map((c) => `${c} integer`).join(', ')})`);
    const wide = Array.from({ length: 70 }, (_, r) => Object.fromEntries(cols.map((c, i) => [c, r * 100 + i])));
    insertColumns(raw, 'w', cols, wide);
    expect(db.prepare('select * from w order by rowid').all()).toEqual(wide);
  });
});
