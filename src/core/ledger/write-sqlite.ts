/**
 * SQLite: the batch's writes as prepared statements on the raw better-sqlite3 connection.
 * better-sqlite3 runs in-process, so there is no round trip to save, but each execution of a
 * statement has its own fixed cost (better-sqlite3's call, binding and result object, SQLite's
 * opening of a write cursor on the table and each index): the rows of one table go in
 * multi-row statements, `insert ... values (...), (...), ...`, of 32, 16, 8, 4, 2 or 1 rows;
 * so do the rollups' upserts when a batch has more than one (account and grant updates stay one
 * statement a row: as upserts read by insertColumns they cost more, bench/analysis.md).
 * Going through the query builder (build, compile, prepare) cost more than the writes
 * themselves in the metered path's profile. The statements run inside the transaction the
 * writer has open on that connection.
 */
import type { SqliteHandle } from '../../db/open.js';
import type { ChangedRows, MemberUsageRow, Pending, RollupRow } from './batch-state.js';

type Statement = ReturnType<SqliteHandle['prepare']>;

/** The most rows in one statement: a power of two (the chunks are its binary decomposition). */
const MAX_ROWS = 32;
/**
 * The most parameters in one statement: SQLite's SQLITE_MAX_VARIABLE_NUMBER before 3.32 (32,766
 * since); a table of more than 31 columns gets fewer rows a statement.
 */
const MAX_PARAMS = 999;

/**
 * A table's insert statements for one column list and suffix, by their number of rows, made
 * when first needed. Held per connection (the statements belong to it).
 */
interface Shape {
  readonly cols: readonly string[];
  readonly suffix: string;
  readonly text: (rows: number) => string;
  readonly byRows: (Statement | undefined)[];
  /** The largest power of two of rows whose parameters stay within MAX_PARAMS. */
  readonly maxRows: number;
  /** Whether a row's defined keys are `cols`, in that order (shapeCode). */
  readonly matches: (row: object) => boolean;
  /** Writes the values of `rows[from..from+n)`, `cols` of each in order, into `out` (shapeCode). */
  readonly fill: (rows: readonly object[], from: number, n: number, out: unknown[]) => void;
}

/**
 * A shape's reading of rows as code of its own, compiled once per shape: `matches` enumerates a
 * row's keys and `fill` reads its columns by name. Shared code read the rows of every table (a
 * dozen hidden classes) at the same sites, so each read was a megamorphic lookup, about 4,100
 * instructions a metered request (bench/analysis.md, "The writer's reads of its rows"); each
 * shape's own function sees its table's rows alone. Column names are quoted by JSON.stringify:
 * a name is a string literal of the code, never code.
 */
export function shapeCode(cols: readonly string[]): Pick<Shape, 'matches' | 'fill'> {
  const matches = new Function(
    'cols',
    `return function matches(r) {
      let i = 0;
      for (const k in r) {
        if (r[k] === undefined) continue;
        if (cols[i] !== k) return false;
        i++;
      }
      return i === ${cols.length};
    };`,
  )(cols) as Shape['matches'];
  const reads = cols.map((c) => `out[v++] = r[${JSON.stringify(c)}];`).join('\n');
  const fill = new Function(
    'rows',
    'from',
    'n',
    'out',
    `let v = 0;
    for (let i = from, end = from + n; i < end; i++) {
      const r = rows[i];
      ${reads}
    }`,
  ) as Shape['fill'];
  return { matches, fill };
}
/** The shapes of each connection's statements, by table. */
const shapes = new WeakMap<SqliteHandle, Map<string, Shape[]>>();

function shapesOf(raw: SqliteHandle, table: string): Shape[] {
  let byTable = shapes.get(raw);
  if (!byTable) shapes.set(raw, (byTable = new Map()));
  let known = byTable.get(table);
  if (!known) byTable.set(table, (known = []));
  return known;
}

/**
 * The shape of `cols` and `suffix` in `table`: found among the table's by comparing column lists
 * (the same array first), not by a key string joined and hashed for every call (8,000
 * instructions a call: bench/analysis.md, "A batch's reads as raw rows").
 */
function shapeOf(raw: SqliteHandle, table: string, cols: readonly string[], suffix: string): Shape {
  const known = shapesOf(raw, table);
  for (const shape of known) if (shape.suffix === suffix && sameCols(shape.cols, cols)) return shape;
  const head = `insert into "${table}" ("${cols.join('", "')}") values `;
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  let maxRows = MAX_ROWS;
  while (maxRows > 1 && maxRows * cols.length > MAX_PARAMS) maxRows >>= 1;
  const shape = {
    cols,
    suffix,
    text: (n: number) => `${head}${new Array<string>(n).fill(tuple).join(', ')}${suffix}`,
    byRows: [],
    maxRows,
    ...shapeCode(cols),
  };
  known.push(shape);
  return shape;
}

/** The shape of `row`'s defined keys in `table`, as shapeOf (each shape's `matches` asked). */
function shapeOfRow(raw: SqliteHandle, table: string, row: Record<string, unknown>, suffix: string): Shape {
  for (const shape of shapesOf(raw, table)) if (shape.suffix === suffix && shape.matches(row)) return shape;
  const cols: string[] = [];
  for (const k in row) if (row[k] !== undefined) cols.push(k);
  return shapeOf(raw, table, cols, suffix);
}

function sameCols(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Inserts `rows[from..to)`, all of columns `cols`, in chunks of a power of two rows (largest
 * first), so the rows go in in their order.
 */
function insertChunks(raw: SqliteHandle, shape: Shape, rows: readonly object[], from: number, to: number) {
  const width = shape.cols.length;
  let i = from;
  while (i < to) {
    let n = shape.maxRows;
    while (n > to - i) n >>= 1;
    let stmt = shape.byRows[n];
    if (!stmt) stmt = shape.byRows[n] = raw.prepare(shape.text(n));
    const values = new Array<unknown>(n * width);
    shape.fill(rows, i, n, values);
    i += n;
    // Spread, not the array: better-sqlite3 binds an array's values by reading each through
    // V8's API (v8::Object::Get, about 430 instructions a value), its arguments directly
    // (bench/analysis.md: 6,400 instructions less per 15-column row).
    stmt.run(...values);
  }
}

/**
 * `insert into table (keys of row) values (?, ...), ...${suffix}`: consecutive rows with the
 * same defined keys (compared key by key) share statements; a row whose keys differ from the
 * row before's starts another run of rows.
 */
export function insertEach(raw: SqliteHandle, table: string, rows: readonly object[], suffix = '') {
  let i = 0;
  while (i < rows.length) {
    const shape = shapeOfRow(raw, table, rows[i] as Record<string, unknown>, suffix);
    let end = i + 1;
    while (end < rows.length && shape.matches(rows[end] as object)) end++;
    insertChunks(raw, shape, rows, i, end);
    i = end;
  }
}

/** `insert into table (cols) values ...${suffix}` of every row, reading only `cols` of each. */
export function insertColumns(raw: SqliteHandle, table: string, cols: readonly string[], rows: readonly object[], suffix = '') {
  if (rows.length > 0) insertChunks(raw, shapeOf(raw, table, cols, suffix), rows, 0, rows.length);
}

/**
 * Runs `shape`'s statements over `rows` rows whose `width` values each lie in order in `values`,
 * in chunks of a power of two rows (largest first), as insertChunks.
 */
function runFlat(raw: SqliteHandle, shape: Shape, width: number, values: unknown[], rows: number) {
  let i = 0;
  while (i < rows) {
    let n = shape.maxRows;
    while (n > rows - i) n >>= 1;
    let stmt = shape.byRows[n];
    if (!stmt) stmt = shape.byRows[n] = raw.prepare(shape.text(n));
    stmt.run(...(n === rows ? values : values.slice(i * width, (i + n) * width)));
    i += n;
  }
}

const MOVE_COLUMNS = ['transaction_id', 'grant_id', 'user_id', 'amount_mc', 'created_at'];
/** The ledger writer's updates of a grant: one not expired, and one expired (or expiring in this batch). */
export const GRANT_SPENT = 'update grants set remaining_mc = ?, reserved_mc = ? where id = ?';
export const GRANT_CHANGED = 'update grants set remaining_mc = ?, reserved_mc = ?, expired_mc = ?, expired_at = ? where id = ?';

/** Writes what the batch decided. */
export function writeSqlite(raw: SqliteHandle, pending: Pending, rows: ChangedRows, now: number): void {
  insertEach(raw, 'credit_transactions', pending.txRows);
  const account = raw.prepare(`update user_credits set balance_mc = ?, reserved_mc = ?, lifetime_purchased_mc = ?,
      lifetime_used_mc = ?, seq = ?, last_hash = ?, updated_at = ? where user_id = ?`);
  for (const r of rows.accounts) {
    account.run(r.balance_mc, r.reserved_mc, r.lifetime_purchased_mc, r.lifetime_used_mc, r.seq, r.last_hash, now, r.user_id);
  }
  insertEach(raw, 'reservations', rows.newHolds);
  const settle = raw.prepare('update reservations set status = ?, captured_mc = ?, settled_at = ? where id = ?');
  for (const r of rows.settledHolds) settle.run(r.status, r.captured_mc, r.settled_at, r.id);
  insertEach(raw, 'grants', rows.newGrants);
  if (rows.changedGrants.length > 0) {
    // A grant not expired has expired nothing (`expired_mc` grows only once `expired_at` is set,
    // and nothing clears it): its update leaves both out, so it does not rewrite its entry in
    // `grants_due`, whose predicate reads `expired_at` (SQLite rewrites the entry of a partial
    // index whenever the update sets a column its predicate reads). PostgreSQL's writer sets
    // them all: its HOT check compares values.
    const spent = raw.prepare(GRANT_SPENT);
    let changed: Statement | undefined;
    for (const g of rows.changedGrants) {
      if (g.expired_at === null) spent.run(g.remaining_mc, g.reserved_mc, g.id);
      else (changed ??= raw.prepare(GRANT_CHANGED)).run(g.remaining_mc, g.reserved_mc, g.expired_mc, g.expired_at, g.id);
    }
  }
  insertEach(raw, 'reservation_grants', rows.newAllocations);
  if (rows.changedAllocations.length > 0) {
    const allocation = raw.prepare('update reservation_grants set amount_mc = ? where reservation_id = ? and grant_id = ?');
    for (const a of rows.changedAllocations) allocation.run(a.amount_mc, a.reservation_id, a.grant_id);
  }
  insertColumns(raw, 'grant_movements', MOVE_COLUMNS, pending.grantMoves);
  insertEach(raw, 'usage_tracking', pending.usageRows);
  upsertRollups(raw, pending.rollups);
  upsertMemberUsage(raw, pending.memberUsage);
  insertEach(raw, 'idempotency_keys', pending.idemRows);
}

const ROLLUP_COLUMNS = ['user_id', 'bucket', 'operation', 'unit', 'credits_mc', 'operations', 'quantity_milli'];
const ROLLUP_CONFLICT = ` on conflict (user_id, bucket, operation, unit) do update set
        credits_mc = usage_rollups.credits_mc + excluded.credits_mc,
        operations = usage_rollups.operations + excluded.operations,
        quantity_milli = usage_rollups.quantity_milli + excluded.quantity_milli`;
/** The single-row upsert, its text built once (the handle caches statements by text). */
const ROLLUP_ONE = `insert into usage_rollups (${ROLLUP_COLUMNS.join(', ')}) values (?, ?, ?, ?, ?, ?, ?)${ROLLUP_CONFLICT}`;

/**
 * Adds the batch's rollups to the stored ones: one row, one single-row upsert; more, multi-row
 * upserts of their values read by name into one flat list (the generic column reader of
 * insertColumns cost more than the executions saved: bench/analysis.md). The rows are a map by
 * key, so no key repeats; if one did, SQLite adds a later row of a statement to the earlier one,
 * as one upsert after the other would.
 */
export function upsertRollups(raw: SqliteHandle, rollups: Map<string, RollupRow>) {
  if (rollups.size === 1) {
    const rollup = raw.prepare(ROLLUP_ONE);
    for (const r of rollups.values()) {
      rollup.run(r.user_id, r.bucket, r.operation, r.unit, r.credits_mc, r.operations, r.quantity_milli);
    }
  } else if (rollups.size > 1) {
    const values: unknown[] = [];
    for (const r of rollups.values()) values.push(r.user_id, r.bucket, r.operation, r.unit, r.credits_mc, r.operations, r.quantity_milli);
    runFlat(raw, shapeOf(raw, 'usage_rollups', ROLLUP_COLUMNS, ROLLUP_CONFLICT), 7, values, rollups.size);
  }
}

const MEMBER_COLUMNS = ['account_id', 'user_id', 'month', 'used_mc'];
const MEMBER_CONFLICT = ' on conflict (account_id, user_id, month) do update set used_mc = member_month_usage.used_mc + excluded.used_mc';
const MEMBER_ONE = `insert into member_month_usage (${MEMBER_COLUMNS.join(', ')}) values (?, ?, ?, ?)${MEMBER_CONFLICT}`;

/** Adds the batch's charges to each member's month, as upsertRollups. */
export function upsertMemberUsage(raw: SqliteHandle, usage: Map<string, MemberUsageRow>) {
  if (usage.size === 1) {
    const member = raw.prepare(MEMBER_ONE);
    for (const r of usage.values()) member.run(r.account_id, r.user_id, r.month, r.used_mc);
  } else if (usage.size > 1) {
    const values: unknown[] = [];
    for (const r of usage.values()) values.push(r.account_id, r.user_id, r.month, r.used_mc);
    runFlat(raw, shapeOf(raw, 'member_month_usage', MEMBER_COLUMNS, MEMBER_CONFLICT), 4, values, usage.size);
  }
}
