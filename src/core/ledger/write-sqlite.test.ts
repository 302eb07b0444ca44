/**
 * The SQLite writer's multi-row inserts (write-sqlite.ts): every row, in its order, whatever
 * the number of rows and however the rows' defined keys alternate; a constraint failure fails
 * the statement with SQLite's error and the transaction as a whole. Multi-row upserts
 * (`insertColumns` with an `on conflict ... do update` suffix) add to stored rows and to rows
 * earlier in the same statement, row by row; and a writer batch that names many accounts (one
 * update of each account, grant and rollup) on both databases.
 */
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeDialects, useTestCore } from '../../../test/support/db.js';
import { withStatementCache } from '../../db/open.js';
import { createUser } from '../accounts/create-user.js';
import { verifyLedger } from './verify.js';
import type { MemberUsageRow, RollupRow } from './batch-state.js';
import { insertColumns, insertEach, shapeCode, upsertMemberUsage, upsertRollups } from './write-sqlite.js';

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

  it("reads rows by each shape's own code: defined keys in order, values by name, a quoted name a key and not code", () => {
    const odd = ['id', 'a"]; globalThis.shapeCodeRan = 1; //', 'b\\'];
    const { matches, fill } = shapeCode(odd);
    const row = { id: 'x', [odd[1] as string]: 1, [odd[2] as string]: null };
    expect(matches(row)).toBe(true);
    expect(matches({ ...row, extra: undefined })).toBe(true);
    expect(matches({ ...row, extra: 0 })).toBe(false);
    expect(matches({ [odd[1] as string]: 1, id: 'x', [odd[2] as string]: null })).toBe(false);
    expect(matches({ id: 'x', [odd[1] as string]: 1 })).toBe(false);
    const out: unknown[] = new Array(6);
    fill([{ id: 'skip' }, row, { ...row, id: 'y' }], 1, 2, out);
    expect(out).toEqual(['x', 1, null, 'y', 1, null]);
    expect((globalThis as Record<string, unknown>).shapeCodeRan).toBeUndefined();
  });

  it('keeps a table of many columns within the parameter limit (999)', () => {
    const cols = Array.from({ length: 40 }, (_, i) => `c${i}`);
    db.exec(`create table w (${cols.map((c) => `${c} integer`).join(', ')})`);
    const wide = Array.from({ length: 70 }, (_, r) => Object.fromEntries(cols.map((c, i) => [c, r * 100 + i])));
    insertColumns(raw, 'w', cols, wide);
    expect(db.prepare('select * from w order by rowid').all()).toEqual(wide);
  });
});

describe('the SQLite writer: multi-row upserts', () => {
  const add = ' on conflict (k) do update set n = u.n + excluded.n';
  const set = ' on conflict (k) do update set n = excluded.n';

  it('adds to stored rows and to rows earlier in the same statement, in order', () => {
    insertColumns(raw, 'u', ['k', 'n'], [{ k: 'a', n: 1000 }], add);
    // 40 rows: chunks of 32 and 8, keys repeating within each chunk and across them.
    const adds = Array.from({ length: 40 }, (_, i) => ({ k: ['a', 'b', 'c', 'd', 'e'][i % 5] as string, n: i + 1 }));
    insertColumns(raw, 'u', ['k', 'n'], adds, add);
    const sum = (k: string) => adds.filter((r) => r.k === k).reduce((t, r) => t + r.n, 0);
    expect(db.prepare('select k, n from u order by rowid').all()).toEqual([
      { k: 'a', n: 1000 + sum('a') },
      { k: 'b', n: sum('b') },
      { k: 'c', n: sum('c') },
      { k: 'd', n: sum('d') },
      { k: 'e', n: sum('e') },
    ]);
  });

  it('sets stored rows to the last value given', () => {
    insertColumns(
      raw,
      'u',
      ['k', 'n'],
      Array.from({ length: 31 }, (_, i) => ({ k: `k${i}`, n: 0 })),
    );
    insertColumns(raw, 'u', ['k', 'n'], [...Array.from({ length: 31 }, (_, i) => ({ k: `k${i}`, n: i * 7 })), { k: 'k3', n: -1 }], set);
    const got = db.prepare('select k, n from u order by rowid').all() as { k: string; n: number }[];
    expect(got).toEqual(Array.from({ length: 31 }, (_, i) => ({ k: `k${i}`, n: i === 3 ? -1 : i * 7 })));
  });

  it("fails the whole statement when one row's update breaks a check, with SQLite's error", () => {
    db.exec('create table acc (k text primary key, n integer not null check (n >= 0))');
    insertColumns(
      raw,
      'acc',
      ['k', 'n'],
      Array.from({ length: 20 }, (_, i) => ({ k: `k${i}`, n: 5 })),
    );
    const rows = Array.from({ length: 20 }, (_, i) => ({ k: `k${i}`, n: i === 13 ? -1 : 9 }));
    let error: unknown;
    try {
      db.transaction(() => insertColumns(raw, 'acc', ['k', 'n'], rows, ' on conflict (k) do update set n = excluded.n'))();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SQLite.SqliteError);
    expect((error as { code?: string }).code).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(db.prepare('select count(*) as n from acc where n = 5').get()).toEqual({ n: 20 });
  });
});

describe('the SQLite writer: rollups and member months', () => {
  beforeEach(() => {
    db.exec(`create table usage_rollups (user_id text not null, bucket integer not null, operation text not null, unit text not null,
      credits_mc integer not null, operations integer not null, quantity_milli integer not null,
      primary key (user_id, bucket, operation, unit))`);
    db.exec(`create table member_month_usage (account_id text not null, user_id text not null, month text not null,
      used_mc integer not null, primary key (account_id, user_id, month))`);
  });
  const rollup = (i: number, mc: number): RollupRow => ({
    user_id: `u${i % 9}`,
    bucket: 3_600_000 * (i % 2),
    operation: i % 3 ? 'message' : 'search',
    unit: 'per_message',
    credits_mc: mc,
    operations: 1 + (i % 4),
    quantity_milli: 1000 * i,
  });
  const member = (i: number, mc: number): MemberUsageRow => ({
    account_id: `a${i % 3}`,
    user_id: `u${i % 11}`,
    month: `2026-${10 + (i % 2)}`,
    used_mc: mc,
  });
  // Distinct map keys, but rows whose table keys repeat inside one statement and across its chunks.
  const asMap = <T>(rows: T[]) => new Map(rows.map((r, i) => [String(i), r]));
  const all = (table: string) => db.prepare(`select * from ${table} order by 1, 2, 3, 4`).all();

  for (const n of [1, 2, 31, 40, 70]) {
    it(`adds ${n} rows, some of one key, as one upsert after the other would`, () => {
      upsertRollups(raw, asMap(Array.from({ length: 5 }, (_, i) => rollup(i, 500))));
      upsertMemberUsage(raw, asMap(Array.from({ length: 5 }, (_, i) => member(i, 500))));
      const rollups = Array.from({ length: n }, (_, i) => rollup(i, 10 + i));
      const members = Array.from({ length: n }, (_, i) => member(i, i - 3));
      upsertRollups(raw, asMap(rollups));
      upsertMemberUsage(raw, asMap(members));
      const multi = [all('usage_rollups'), all('member_month_usage')];
      db.exec('delete from usage_rollups; delete from member_month_usage');
      for (const [rows, upsert] of [
        [[...Array.from({ length: 5 }, (_, i) => rollup(i, 500)), ...rollups], upsertRollups],
        [[...Array.from({ length: 5 }, (_, i) => member(i, 500)), ...members], upsertMemberUsage],
      ] as const) {
        for (const r of rows) (upsert as (raw: unknown, m: Map<string, unknown>) => void)(raw, new Map([['k', r]]));
      }
      expect(multi).toEqual([all('usage_rollups'), all('member_month_usage')]);
      // 18 rollup keys in all: from 31 rows on, keys repeat inside a statement.
      if (n >= 31) expect((multi[0] as unknown[]).length).toBeLessThan(n);
    });
  }

  it('writes nothing for no rows', () => {
    upsertRollups(raw, new Map());
    upsertMemberUsage(raw, new Map());
    expect([all('usage_rollups'), all('member_month_usage')]).toEqual([[], []]);
  });
});

describe.each(await activeDialects())('a batch of many accounts on %s', (dialect) => {
  const core = useTestCore(dialect);

  it('debits 35 accounts twice in one batch: balances, grants and rollups add up', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 35; i++) {
      const u = await createUser(core.writer, { email: `many${i}@example.com`, name: `Many ${i}` });
      await core.ledger.grant(u.id, 100_000 + i, 'adjustment', { grant: { expiresAt: Date.now() + 86_400_000 } });
      ids.push(u.id);
    }
    const debit = (userId: string, mc: number) =>
      core.writer.submit({
        kind: 'debit',
        userId,
        amountMc: mc,
        type: 'usage',
        description: 'Message',
        usage: { operation: 'message', unit: 'per_message', quantityMilli: 1000, ruleId: null, ruleCreditsMc: mc, costMc: mc },
      });
    for (let round = 0; round < 2; round++) {
      const before = core.writer.stats.batches;
      await Promise.all(ids.flatMap((id, i) => [debit(id, 100 + i), debit(id, 7)]));
      expect(core.writer.stats.batches - before).toBe(1);
    }
    const db = core.database.db;
    const accounts = await db
      .selectFrom('user_credits')
      .select(['user_id', 'balance_mc', 'lifetime_used_mc', 'seq'])
      .where('user_id', 'in', ids)
      .execute();
    const grants = await db.selectFrom('grants').select(['user_id', 'remaining_mc']).where('user_id', 'in', ids).execute();
    const rollups = await db
      .selectFrom('usage_rollups')
      .select(['user_id', 'credits_mc', 'operations', 'quantity_milli'])
      .where('user_id', 'in', ids)
      .execute();
    ids.forEach((id, i) => {
      const used = 2 * (100 + i + 7);
      const a = accounts.find((r) => r.user_id === id);
      expect(a && [Number(a.balance_mc), Number(a.lifetime_used_mc)]).toEqual([100_000 + i - used, used]);
      expect(grants.filter((g) => g.user_id === id).map((g) => Number(g.remaining_mc))).toEqual([100_000 + i - used]);
      const r = rollups.filter((x) => x.user_id === id).map((x) => [Number(x.credits_mc), Number(x.operations), Number(x.quantity_milli)]);
      expect(r).toEqual([[used, 4, 4000]]);
    });
    expect((await verifyLedger(db, core.ledgerKey)).violations).toEqual([]);
  });
});
