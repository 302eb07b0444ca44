/**
 * The SQLite inserts of metered requests into a copy of a migrated database (one build's
 * schema, bench/index-nulls-template.mjs): `node bench/index-nulls-insert.mjs <db> <batches>`,
 * each batch one transaction of 30 requests' rows as the writer makes them (a `usage` ledger
 * row without a reference, a usage row without `reverses_id`, a grant movement), one
 * multi-row statement a table. Run under callgrind at two lengths: the difference is the
 * cost of the rows (issue 21, migration 024).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const [template, batchesArg] = process.argv.slice(2);
const batches = Number(batchesArg);
const PER = 30;
const file = join(mkdtempSync(join(tmpdir(), 'index-nulls-')), 'db.sqlite');
copyFileSync(template, file);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
db.pragma('foreign_keys = ON');
const now = 1_764_000_000_000;
db.prepare("insert into accounts (id, kind, name, created_at, updated_at) values ('acct', 'personal', 'A', ?, ?)").run(now, now);
db.prepare(
  "insert into grants (id, user_id, source, credits_mc, remaining_mc, reserved_mc, expired_mc, value_cents, created_at) values ('g1', 'acct', 'purchase', 1000000000, 1000000000, 0, 0, 0, ?)",
).run(now);
const rowsOf = (n, cols) => Array.from({ length: n }, () => `(${cols.map(() => '?').join(', ')})`).join(', ');
const TX = [
  'id',
  'user_id',
  'seq',
  'type',
  'amount_mc',
  'reserved_change_mc',
  'balance_after_mc',
  'reserved_after_mc',
  'description',
  'metadata',
  'reference_type',
  'reference_id',
  'idempotency_key',
  'prev_hash',
  'hash',
  'created_at',
  'member_id',
];
const USAGE = [
  'id',
  'user_id',
  'operation',
  'unit',
  'quantity_milli',
  'cost_mc',
  'charged_mc',
  'rule_id',
  'rule_credits_mc',
  'bypass',
  'transaction_id',
  'reservation_id',
  'metadata',
  'created_at',
  'reverses_id',
  'member_id',
];
const MOVE = ['transaction_id', 'grant_id', 'user_id', 'amount_mc', 'created_at'];
const insTx = db.prepare(`insert into credit_transactions (${TX.join(', ')}) values ${rowsOf(PER, TX)}`);
const insUsage = db.prepare(`insert into usage_tracking (${USAGE.join(', ')}) values ${rowsOf(PER, USAGE)}`);
const insMove = db.prepare(`insert into grant_movements (${MOVE.join(', ')}) values ${rowsOf(PER, MOVE)}`);
const hex = () => randomBytes(32).toString('hex');
let seq = 0;
const batch = db.transaction(() => {
  const tx = [];
  const usage = [];
  const move = [];
  for (let i = 0; i < PER; i++) {
    seq++;
    const t = now + seq;
    const id = `tx_${t.toString(36)}${String(seq).padStart(10, '0')}`;
    const uid = `us_${t.toString(36)}${String(seq).padStart(10, '0')}`;
    tx.push(id, 'acct', seq, 'usage', -1000, 0, 1_000_000_000 - seq * 1000, 0, 'Message', null, null, null, null, hex(), hex(), t, null);
    usage.push(uid, 'acct', 'message', 'message', 1000, 1000, 1000, 'rule_1', 1000, 0, id, null, null, t, null, null);
    move.push(id, 'g1', 'acct', -1000, t);
  }
  insTx.run(...tx);
  insUsage.run(...usage);
  insMove.run(...move);
});
for (let b = 0; b < batches; b++) batch();
db.close();
