/**
 * What announcing balance changes with NOTIFY costs the database's capacity for the writers'
 * batches (issue 21, goals 3 and 5). Several writer processes (bench/capacity-worker.ts, no
 * HTTP, each with an instance's listener when announcing) debit random accounts of one schema
 * together, the announcement alternated between none, `writer` (the writer's NOTIFY on the
 * batch's connection after its commit, as main.ts wires it) and `pool` (an autocommit NOTIFY
 * on the ordinary pool after the commit, as before 3 December 2026): debits per second,
 * debits per commit, CPU per debit. (NOTIFY inside the batch's transaction was measured with
 * this tool too, on a build that had it: bench/analysis.md, 3 December.)
 *
 *   npx tsx bench/prof-pg-notify-capacity.ts [PROCESSES=3] [ROUNDS=2] [SECONDS=4]
 */
import { capacityBench } from './capacity.js';
import { load } from './common.js';

const N = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 2);
const SECONDS = Number(process.argv[4] ?? 4);
const MODES = ['none', 'writer', 'pool'];
console.log(`${N} writer processes, 64 debits in flight each, 1,000 accounts, ${SECONDS} s a run; load ${load()}`);
const rows: string[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of r % 2 === 0 ? MODES : [...MODES].reverse()) {
    if (mode === 'none') delete process.env.CAPACITY_ANNOUNCE;
    else process.env.CAPACITY_ANNOUNCE = mode;
    const f = await capacityBench({
      seconds: SECONDS,
      runs: 1,
      concurrency: 64,
      accounts: 1000,
      processes: [N],
      verify: false,
      log: () => {},
    });
    const x = f.rows[0];
    if (!x) throw new Error('no capacity row');
    const row = `| ${r + 1} | ${mode} | ${Math.round(x.rate)} | ${x.perCommit.toFixed(1)} | ${Math.round(x.writerCpuUs)} | ${Math.round(x.pgCpuUs)} |`;
    rows.push(row);
    console.log(`${row} load ${load()}`);
  }
}
console.log('| round | announced | debits/s | debits per commit | writers CPU µs/debit | Postgres CPU µs/debit |');
console.log('|---|---|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
