/**
 * Counting aid (not part of `npm run bench`): batches of 31 metered debits through the ledger
 * writer on SQLite, spread over `accounts` funded accounts (each with one grant), in one
 * process, for callgrind's difference of two run lengths:
 *   valgrind --tool=callgrind --separate-threads=yes node --import tsx bench/count-many-accounts.ts 31 1000 1000
 *   valgrind ... node --import tsx bench/count-many-accounts.ts 31 1000 3000
 * (accounts, warm-up batches, counted batches); the main thread's difference over 2,000 is the
 * cost of a batch (load, decide, write, BEGIN/COMMIT, the writer's promises). With a fourth
 * argument `write`, one batch is committed through the writer (so each account's hour rollup
 * exists), the next is loaded and decided (loadBatch, decideBatch, changedRows) but not written,
 * and the runs are of its writes alone: `begin immediate`, writeSqlite, `rollback`.
 * COUNT_TEMP_STORE=DEFAULT (or FILE, MEMORY) sets that temp_store on the connection after it
 * opens (open.ts sets MEMORY): e.g. for `strace -f -c` counts of the system calls a batch makes
 * with statement journals spilled to files or kept in memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedRows } from '../src/core/ledger/batch-state.js';
import { decideBatch } from '../src/core/ledger/decide.js';
import { loadBatch } from '../src/core/ledger/load-batch.js';
import type { LedgerOp } from '../src/core/ledger/types.js';
import { writeSqlite } from '../src/core/ledger/write-sqlite.js';
import { LedgerKey } from '../src/core/ledger/hash.js';
import { openDatabase } from '../src/db/open.js';
import { debitBatches, fundedLedger, meteredDebit } from './metered-debit.js';

const KEY = new LedgerKey('bench-many-key-bench-many-key-0123456789abcd');
const accounts = Number(process.argv[2] ?? 31);
const warm = Number(process.argv[3] ?? 1000);
const counted = Number(process.argv[4] ?? 1000);
const SIZE = 31;
const dir = mkdtempSync(join(tmpdir(), 'credits-many-'));
const database = await openDatabase({ sqlitePath: join(dir, 'bench.db') });
if (process.env.COUNT_TEMP_STORE) database.sqlite?.prepare(`pragma temp_store = ${process.env.COUNT_TEMP_STORE}`).run();
const { core, users } = await fundedLedger(database, KEY, accounts);
let k = 0;
const debit = () => meteredDebit(core.writer, users[k++ % accounts] as string);
const sizes = new Map<number, number>();
core.writer.onBatch((size) => sizes.set(size, (sizes.get(size) ?? 0) + 1));
if (process.argv[5] === 'write') {
  await debitBatches(debit, SIZE, 1);
  const op = (userId: string): LedgerOp => ({
    kind: 'debit',
    userId,
    amountMc: 100,
    type: 'usage',
    description: 'Message',
    usage: { operation: 'message', unit: 'per_message', quantityMilli: 1000, ruleId: null, ruleCreditsMc: 100, costMc: 100 },
  });
  const ops = Array.from({ length: SIZE }, () => op(users[k++ % accounts] as string));
  const now = Date.now();
  const state = await loadBatch({ trx: database.db, dialect: 'sqlite', sqlite: database.sqlite }, ops, now);
  const { pending } = decideBatch(ops, state, KEY, now);
  const rows = changedRows(state);
  const raw = database.sqlite;
  if (!raw) throw new Error('no raw connection');
  const begin = raw.prepare('begin immediate');
  const rollback = raw.prepare('rollback');
  for (let i = 0; i < warm + counted; i++) {
    begin.run();
    writeSqlite(raw, pending, rows, now);
    rollback.run();
  }
  console.log(`write only: ${rows.accounts.length} accounts, ${rows.changedGrants.length} grants, ${pending.rollups.size} rollups`);
} else await debitBatches(debit, SIZE, warm + counted);
console.log(`${accounts} accounts, ${warm}+${counted} batches of ${SIZE}; batch sizes ${JSON.stringify([...sizes])}`);
await core.writer.close();
await database.close();
rmSync(dir, { recursive: true, force: true });
