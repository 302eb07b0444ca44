/**
 * Counting aid (not part of `npm run bench`): what a metered batch writes to PostgreSQL's WAL,
 * by table and index, with the load on one account or spread over many: the PostgreSQL
 * counterpart of bench/wal-pages.ts.
 *
 *   npx tsx bench/pg-wal.ts [accounts=64] [batches=200] [size=64]
 *
 * Runs the ledger writer in-process on a fresh schema of PG_URL (each account funded with one
 * grant; WAL_GRANTS=N: N grants expiring a day apart), commits `batches` warm-up batches of
 * `size` metered debits (account i of the batch is i mod `accounts`), runs a CHECKPOINT (so
 * the counted run starts where a checkpoint would leave it), commits `batches` more and reads
 * the WAL records written meanwhile with pg_walinspect (created if missing and dropped again
 * if this created it). Each record is named by the relation of its first block reference
 * (pg_class by relfilenode): heap records by table, btree records by index. Prints records
 * and bytes a debit by relation and record type, the full-page images apart, and the share of each table's updates
 * over the whole run that were HOT (pg_stat_user_tables: an update that changes no indexed
 * column, predicates' columns included, writes no index entry).
 *
 * Nothing else should write to the cluster during the run: every record in the interval is
 * counted.
 */
import { LedgerKey } from '../src/core/ledger/hash.js';
import { freshDatabase, pgQuery } from './common.js';
import { spreadLoad } from './metered-debit.js';

const KEY = new LedgerKey('bench-pg-wal-key-bench-pg-wal-key-0123456789');
const accounts = Number(process.argv[2] ?? 64);
const batches = Number(process.argv[3] ?? 200);
const size = Number(process.argv[4] ?? 64);

const had = (await pgQuery(`select 1 from pg_extension where extname = 'pg_walinspect'`)).rowCount === 1;
if (!had) await pgQuery('create extension pg_walinspect');
const { database, schema, dispose } = await freshDatabase('postgres', 'pg_wal', 10);
try {
  const load = await spreadLoad(database, KEY, accounts, Number(process.env.WAL_GRANTS ?? 1));
  const core = load.core;
  await load.batches(batches, size);

  await pgQuery('checkpoint');
  const lsn0 = (await pgQuery('select pg_current_wal_lsn() as l')).rows[0].l as string;
  const commits = await load.batches(batches, size);
  const lsn1 = (await pgQuery('select pg_current_wal_lsn() as l')).rows[0].l as string;
  const debits = batches * size;

  const names = new Map<string, string>();
  for (const r of (await pgQuery(`select c.relfilenode::text as f, c.relname from pg_class c where c.relfilenode <> 0`)).rows) {
    names.set(r.f, r.relname);
  }
  const records = await pgQuery(
    `select resource_manager as rm, record_type as type, record_length::int as len, fpi_length::int as fpi, block_ref
       from pg_get_wal_records_info('${lsn0}', '${lsn1}')`,
  );
  type Row = { records: number; bytes: number; fpi: number };
  const by = new Map<string, Row>();
  let bytes = 0;
  let fpi = 0;
  for (const r of records.rows as { rm: string; type: string; len: number; fpi: number; block_ref: string | null }[]) {
    const file = /rel \d+\/\d+\/(\d+)/.exec(r.block_ref ?? '')?.[1];
    const rel = file ? (names.get(file) ?? `(file ${file})`) : '-';
    const key = `${rel} | ${r.rm} ${r.type}`;
    const row = by.get(key) ?? { records: 0, bytes: 0, fpi: 0 };
    row.records++;
    row.bytes += r.len;
    row.fpi += r.fpi;
    by.set(key, row);
    bytes += r.len;
    fpi += r.fpi;
  }
  console.log(
    `${accounts} account(s), ${batches} counted batches of ${size} debits in ${commits} commits: ` +
      `${records.rowCount} WAL records, ${((records.rowCount ?? 0) / debits).toFixed(2)} a debit, ` +
      `${(bytes / debits).toFixed(0)} B a debit (full-page images ${(fpi / debits).toFixed(0)} B of it)`,
  );
  console.log('| relation | record | records a debit | bytes a debit | of which full-page images |');
  console.log('|---|---|---:|---:|---:|');
  for (const [key, r] of [...by].sort((a, b) => b[1].bytes - a[1].bytes)) {
    const [rel, type] = key.split(' | ');
    console.log(
      `| ${rel} | ${type} | ${(r.records / debits).toFixed(3)} | ${(r.bytes / debits).toFixed(1)} | ${(r.fpi / debits).toFixed(1)} |`,
    );
  }
  await core.writer.close();
  await database.close();
  // A backend's statistics reach the shared counters when it exits (or, idle, within 10 s).
  await new Promise((r) => setTimeout(r, 500));
  const stats = await pgQuery(
    `select relname, n_tup_upd::int as upd, n_tup_hot_upd::int as hot from pg_stat_user_tables where schemaname = '${schema}' and n_tup_upd > 0 order by relname`,
  );
  console.log('\nUpdates over the whole run (funding, warm-up and counted batches):\n');
  console.log('| table | updates | of which HOT |');
  console.log('|---|---:|---:|');
  for (const r of stats.rows as { relname: string; upd: number; hot: number }[]) {
    console.log(`| ${r.relname} | ${r.upd} | ${((r.hot / r.upd) * 100).toFixed(0)}% |`);
  }
} finally {
  await dispose();
  if (!had) await pgQuery('drop extension pg_walinspect');
}
